import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { StateError } from '@wofleet/shared';
import type { Layout } from '../config/paths.js';
import { writeFileAtomic } from './atomic-file.js';

export const snapshotSchema = z.object({
  domain: z.string(),
  file: z.string(),
  dbVersion: z.number().int(),
  /** In-DB copy of the tables (`<copy>_<table>`), swapped back in atomically on restore. */
  copy: z.string().optional(),
  tables: z.array(z.string()).optional(),
});

const updateSchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
  fromDbVersion: z.number().int(),
  toDbVersion: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** 'running' after a crash means cut short: the next update to the same release resumes it. */
  outcome: z.enum(['running', 'succeeded', 'reverted', 'rolled-back', 'interrupted']),
  snapshots: z.array(snapshotSchema),
});

const stateSchema = z.object({
  version: z.literal(1),
  initializedAt: z.string(),
  /** The release `current` pointed at before the last switch. */
  previous: z.string().optional(),
  canarySite: z.string().optional(),
  updates: z.array(updateSchema),
  /** A rollback that switched but may not have finished: the next rollback completes it. */
  pendingRollback: z
    .object({ from: z.string(), to: z.string(), restoreDb: z.boolean(), record: z.string().optional(), startedAt: z.string() })
    .optional(),
});

export type UpdateRecord = z.infer<typeof updateSchema>;
export type DbSnapshot = z.infer<typeof snapshotSchema>;
export type AgentState = z.infer<typeof stateSchema>;

/**
 * What the agent must remember that the disk layout cannot tell: the previous
 * release, the canary site, and each update's DB snapshots. Current and canary
 * releases are read from their links, never duplicated here.
 */
export async function readState(layout: Layout): Promise<AgentState | undefined> {
  let text: string;
  try {
    text = await readFile(layout.stateFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = stateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new StateError(`state file ${layout.stateFile} is damaged (${parsed.error.issues[0]?.message}); run 'init --force'`);
  }
  return parsed.data;
}

export async function requireState(layout: Layout): Promise<AgentState> {
  const state = await readState(layout);
  if (!state) throw new StateError(`not initialised: run 'wofleet-agent init' first (no ${layout.stateFile})`);
  return state;
}

export async function writeState(layout: Layout, state: AgentState): Promise<void> {
  await writeFileAtomic(layout.stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

export function newState(now: Date): AgentState {
  return { version: 1, initializedAt: now.toISOString(), updates: [] };
}

/** Keep the update history bounded: the newest records (with their snapshots) only. */
export const MAX_UPDATE_RECORDS = 20;
