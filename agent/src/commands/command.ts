import { UsageError } from '@wofleet/shared';
import { z } from 'zod';
import type { Engine } from '../engine.js';

/**
 * One row of the command table: what the CLI and the gRPC service both run. The
 * argument schema is the one check both edges share (domains, digests, create
 * flags); each edge only turns its own input (flags, request fields) into the
 * schema's input, and renders the result.
 */
export const ACCESS = { readOnly: 'read-only', mutating: 'mutating' } as const;
export type Access = (typeof ACCESS)[keyof typeof ACCESS];

export interface AgentCommand<S extends z.ZodType, R> {
  name: string;
  /** Mutating commands take the server lock and run as idempotent operations over gRPC. */
  access: Access;
  args: S;
  run(engine: Engine, args: z.output<S>): Promise<R>;
}

export function defineCommand<S extends z.ZodType, R>(command: AgentCommand<S, R>): AgentCommand<S, R> {
  return command;
}

/**
 * Check raw arguments against a command's schema. The schemas throw the shared
 * UsageErrors themselves; a value of the wrong type (a caller bug, not operator
 * input) becomes a UsageError naming the field.
 */
export async function parseArgs<S extends z.ZodType, R>(command: AgentCommand<S, R>, input: z.input<S>): Promise<z.output<S>> {
  try {
    return await command.args.parseAsync(input);
  } catch (err) {
    if (err instanceof z.ZodError) {
      const issue = err.issues[0];
      throw new UsageError(`${command.name}: ${issue?.path.join('.') || 'arguments'}: ${issue?.message ?? 'invalid'}`);
    }
    throw err;
  }
}

/** Parse, then run: what both edges do for a command. */
export async function runCommand<S extends z.ZodType, R>(command: AgentCommand<S, R>, engine: Engine, input: z.input<S>): Promise<R> {
  return command.run(engine, await parseArgs(command, input));
}
