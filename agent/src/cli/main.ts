#!/usr/bin/env node
import { describeError, EXIT, isWofleetError } from '@wofleet/shared';
import { CommanderError } from 'commander';
import { log } from './context.js';
import { createProgram } from './program.js';

/** wofleet-agent: errors end here as exit codes. */
const program = createProgram();

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      if (err.code === 'wofleet.usage') process.stderr.write(`wofleet-agent: error: ${err.message}\n`);
      return EXIT.usage;
    }
    if (isWofleetError(err)) {
      process.stderr.write(`wofleet-agent: error: ${err.message}\n`);
      return err.exitCode;
    }
    log.error({ err }, 'unexpected failure');
    process.stderr.write(`wofleet-agent: internal error: ${describeError(err)}\n`);
    return EXIT.failure;
  }
}

process.exitCode = await main(process.argv);
