import { isTerminalOperationState, type Operation } from '@wofleet/proto';
import { z } from 'zod';
import { WofleetError } from '@wofleet/shared';
import type { AgentApi } from '../agents/client.js';
import type { Clock } from '../context/clock.js';
import { backoffMs, isTransient } from './transient.js';

/** How the engine waits on agents: its clock, poll period, and the runner's stop signal. */
export interface Waiting {
  clock: Clock;
  pollMs: number;
  signal: AbortSignal;
}

/** The runner is stopping: the step ends where it is, its state in Postgres says where to resume. */
export class RunnerStoppedError extends Error {
  constructor() {
    super('campaign runner stopping');
    this.name = 'RunnerStoppedError';
  }
}

/** Waits `ms` on the engine's clock; throws RunnerStoppedError when the runner stops (at once, not at the end). */
export async function pause(waiting: Waiting, ms = waiting.pollMs): Promise<void> {
  if (waiting.signal.aborted) throw new RunnerStoppedError();
  await waiting.clock.sleep(ms, waiting.signal);
  if (waiting.signal.aborted) throw new RunnerStoppedError();
}

/**
 * Follows the operation with the agent's WatchOperation stream until it is terminal,
 * so a step ends as soon as the agent's work does. When the stream fails (the agent
 * restarted or cannot be reached) or ends early, GetOperation asks again by the same
 * id, every poll while the agent is unreachable, then the stream is taken up again.
 * The runner's stop signal cancels the stream at once.
 */
export async function awaitOperation(agent: AgentApi, operationId: string, waiting: Waiting, until: number): Promise<Operation> {
  for (;;) {
    const leftMs = until - waiting.clock.now().getTime();
    if (leftMs > 0) {
      try {
        const op = await agent.watchOperation(operationId, leftMs, { signal: waiting.signal });
        if (isTerminalOperationState(op.state)) return op;
      } catch (err) {
        if (waiting.signal.aborted) throw new RunnerStoppedError();
        if (!(err instanceof WofleetError)) throw err;
      }
    }
    const op = await retryUnreachable(() => agent.getOperation(operationId), waiting, until);
    if (isTerminalOperationState(op.state)) return op;
    await pause(waiting);
  }
}

/**
 * Calls `call`, again after a backoff (transient.ts) while it fails transiently (the
 * agent or the database unreachable), until the clock passes `until` (epoch ms); then
 * the last such error is thrown. Any other error is thrown at once. Every call the
 * engine repeats this way is idempotent (a query, a mutation by operation id, or a
 * fenced write: one whose commit was lost on the way back is written again, and the
 * audit then shows that transition twice).
 */
export async function retryUnreachable<T>(call: () => Promise<T>, waiting: Waiting, until: number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const leftMs = until - waiting.clock.now().getTime();
      if (!isTransient(err) || leftMs <= 0) throw err;
      await pause(waiting, Math.min(leftMs, backoffMs(attempt)));
    }
  }
}

/**
 * The release the server's `current` link points at, read from disk by ListReleases.
 * Not GetStatus: the agent answers that from a cache refreshed in the background, which
 * can still show the release before a switch or rollback that has just finished.
 */
export async function currentRelease(agent: AgentApi): Promise<{ id: string; version: string; dbVersion: number } | undefined> {
  const { releases } = await agent.listReleases();
  const current = releases.find((r) => r.marks.includes('RELEASE_MARK_CURRENT'));
  return current && { id: current.id, version: current.version, dbVersion: current.dbVersion };
}

const stagedReleaseSchema = z.object({ id: z.string().min(1).max(256), dbVersion: z.number().int().nonnegative() });

/** The release a StageRelease operation staged, from its typed result (checked: it comes off the wire). */
export function stagedRelease(op: Operation): { id: string; dbVersion: number } {
  const parsed = stagedReleaseSchema.safeParse(op.stageRelease?.release);
  if (!parsed.success) throw new WofleetError(`${op.id}: the agent's stage result names no release id and DB version`);
  return { id: parsed.data.id, dbVersion: parsed.data.dbVersion };
}

/** One line for a target's reason: the agent's error, or what went wrong calling it. */
export function operationFailure(op: Operation): string {
  const what = op.state === 'OPERATION_STATE_INTERRUPTED' ? 'interrupted' : 'failed';
  return `${op.id} ${what}: ${op.error || op.errorKind || 'no error given'}`;
}
