/** Public entry point of the agent package: the engine and its commands. */
export { agentConfigSchema, type AgentConfig, type AgentConfigInput } from './config/schema.js';
export { loadAgentConfig, makeAgentConfig, DEFAULT_CONFIG_FILE } from './config/load.js';
export { layoutOf, sitePaths, type Layout, type SitePaths } from './config/paths.js';
export { createEngine, type Engine, type EngineOverrides } from './engine.js';
export { initCommand, type InitOptions, type InitResult } from './commands/init.js';
export {
  updateCommand,
  stageCommand,
  activateCommand,
  type UpdateOptions,
  type UpdateResult,
  type StageOptions,
  type ActivateOptions,
} from './commands/update.js';
export { rollbackCommand, type RollbackOptions, type RollbackResult } from './commands/rollback.js';
export { statusCommand, type StatusResult } from './commands/status.js';
export { listCommand, type SiteRow } from './commands/list.js';
export { healthCommand, type HealthResult } from './commands/health.js';
export { releasesCommand, pruneCommand, type ReleaseRow } from './commands/releases.js';
export { createCommand, convertCommand, revertCommand, removeCommand, removeAllCommand } from './commands/site-commands.js';
export { baselineShowCommand, baselineSetCommand } from './commands/baseline.js';
export { ACCESS, defineCommand, parseArgs, runCommand, type Access, type AgentCommand } from './commands/command.js';
export { COMMANDS } from './commands/table.js';
export { EVENT_TYPE, noEvents, type AgentEvent, type EventSink, type EventType } from './events/types.js';
export { createOutbox, type Outbox } from './events/outbox.js';
export { proveSite, proveSites, type ProofExpectation, type SiteProof } from './health/proof.js';
export { newProofNonce, proofRequest, type ProofRequest } from './runtime/proof-request.js';
