export { bashCompletion, COMPLETION_SHELLS, completionScript, zshCompletion, type CompletionShell } from './completion.js';
export { applyCliConventions, registerCompletionCommand } from './conventions.js';
