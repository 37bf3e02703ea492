import { Argument, type Command } from 'commander';
import { COMPLETION_SHELLS, completionScript, type CompletionShell } from './completion.js';

/**
 * What both wofleet CLIs do alike: commander's own parse errors (unknown option or
 * command, missing argument) as one line with the program's prefix, like every other
 * error (`wofleet: error: unknown option '--bogus'`), and thrown (exitOverride) so the
 * caller exits 2. Call before adding commands: subcommands copy these settings.
 */
export function applyCliConventions(program: Command): Command {
  const prefix = program.name();
  return program.exitOverride().configureOutput({
    // Commander puts "(Did you mean ...?)" on a line of its own.
    outputError: (text, write) => write(`${prefix}: ${text.trim().replace(/\s*\n\s*/g, ' ')}\n`),
  });
}

/** `PROGRAM completion bash|zsh`: the script on stdout, generated from the command tree it is part of. */
export function registerCompletionCommand(program: Command): void {
  const name = program.name();
  program
    .command('completion')
    .description('print the shell completion script for bash or zsh')
    .addArgument(new Argument('<shell>', 'bash or zsh').choices(COMPLETION_SHELLS))
    .addHelpText(
      'after',
      `
Examples:
  ${name} completion bash > /etc/bash_completion.d/${name}
  echo 'source <(${name} completion zsh)' >> ~/.zshrc`,
    )
    .action((shell: CompletionShell) => {
      process.stdout.write(completionScript(program, shell));
    });
}
