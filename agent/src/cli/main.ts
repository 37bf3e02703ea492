#!/usr/bin/env node
import { describeError, EXIT, isWofleetError } from '@wofleet/shared';
import { Command, CommanderError } from 'commander';
import { baselineCli } from './baseline.js';
import { log } from './context.js';
import { enrollCli, serveCli } from './daemon.js';
import { initCli, pruneCli, releasesCli, rollbackCli, updateCli } from './releases.js';
import { convertCli, createCli, removeCli } from './sites.js';
import { healthCli, listCli, statusCli } from './status.js';

/** wofleet-agent: each area registers its commands (in this order, the order of --help); errors end here as exit codes. */
const program = new Command('wofleet-agent')
  .description('Run every WordPress site of this WordOps server off one shared, versioned core.')
  .option('-c, --config <file>', 'agent config (YAML); default $WOFLEET_AGENT_CONFIG or /etc/wofleet/agent.yaml')
  .exitOverride();

for (const register of [
  initCli,
  createCli,
  convertCli,
  updateCli,
  rollbackCli,
  statusCli,
  listCli,
  healthCli,
  removeCli,
  releasesCli,
  pruneCli,
  baselineCli,
  serveCli,
  enrollCli,
]) {
  register(program);
}

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
