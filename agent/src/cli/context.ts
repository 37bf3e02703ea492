import { createLogger, type Logger } from '@wofleet/shared';
import type { Command } from 'commander';
import type { z } from 'zod';
import { type AgentCommand, runCommand } from '../commands/command.js';
import { loadAgentConfig } from '../config/load.js';
import { createEngine, type Engine } from '../engine.js';
import { printJson, printLines } from './output.js';

/** What every CLI area shares: the logger, the engine from the global flags, running a table row, printing. */
export const log: Logger = createLogger('wofleet-agent');

export async function engineFor(cmd: Command): Promise<Engine> {
  const { config: file, json } = cmd.optsWithGlobals<{ config?: string; json?: boolean }>();
  const config = await loadAgentConfig(file);
  const quiet = json === true || process.env.WOFLEET_QUIET === '1';
  return createEngine(config, { log, progress: quiet ? () => {} : (m) => process.stderr.write(`... ${m}\n`) });
}

/** Run a command of the table with the engine the global flags name. */
export async function run<S extends z.ZodType, R>(cmd: Command, command: AgentCommand<S, R>, input: z.input<S>): Promise<R> {
  return runCommand(command, await engineFor(cmd), input);
}

/** One JSON document with --json, else the human lines. */
export function out(cmd: Command, value: unknown, human: () => string[]): void {
  if (cmd.optsWithGlobals<{ json?: boolean }>().json) printJson(value);
  else printLines(human());
}
