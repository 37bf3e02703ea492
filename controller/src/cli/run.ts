import { CommanderError } from 'commander';
import { createLogger, describeError, EXIT, isWofleetError } from '@wofleet/shared';
import { printErrorLine } from './output.js';
import { buildProgram } from './program.js';

/**
 * `wofleet`: the operator CLI. Exit codes: 0 success, 1 refused or failed, 2 usage
 * error; an operator mistake prints one line, an unexpected failure its stack (logged).
 */
export async function runWofleet(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed its own one-line message (or the help).
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (isWofleetError(err)) {
      printErrorLine(`error: ${err.message}`);
      return err.exitCode;
    }
    createLogger('wofleet').error({ err }, 'unexpected failure');
    printErrorLine(`internal error: ${describeError(err)}`);
    return EXIT.failure;
  }
}
