import { Command } from 'commander';
import { WOFLEET_VERSION } from '@wofleet/shared';
import { applyCliConventions, registerCompletionCommand } from '@wofleet/shared/cli';
import { baselineCli } from './baseline.js';
import { enrollCli, serveCli } from './daemon.js';
import { initCli, pruneCli, releasesCli, rollbackCli, updateCli } from './releases.js';
import { convertCli, createCli, removeCli } from './sites.js';
import { healthCli, listCli, statusCli } from './status.js';

/** wofleet-agent's commands: each area registers its own, in this order (the order of --help). */
export function createProgram(): Command {
  const program = applyCliConventions(new Command('wofleet-agent'))
    .description('Run every WordPress site of this WordOps server off one shared, versioned core.')
    .version(`wofleet-agent ${WOFLEET_VERSION}`, '-V, --version', 'print the version of wofleet-agent')
    .option('-c, --config <file>', 'agent config (YAML); default $WOFLEET_AGENT_CONFIG or /etc/wofleet/agent.yaml');
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
  registerCompletionCommand(program);
  return program;
}
