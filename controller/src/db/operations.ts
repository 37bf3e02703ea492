import { and, eq, isNull } from 'drizzle-orm';
import { StateError } from '@wofleet/shared';
import { violatedUniqueConstraint } from './sql-error.js';
import type { Database } from './database.js';
import { OPERATION_STATE, operations, type FinalOperationState } from './schema/operations.js';

/** Every query on `operations`: what the controller asked of which agent, and the outcome. */

export type OperationRow = typeof operations.$inferSelect;

export interface NewOperation {
  /** The operation id sent to the agent. */
  id: string;
  serverId: string | null;
  kind: string;
  requestedBy: string;
  request?: Record<string, unknown>;
}

export interface OperationOutcome {
  state: FinalOperationState;
  error?: string | null;
  result?: Record<string, unknown> | null;
}

export class OperationExistsError extends StateError {
  constructor(
    readonly operationId: string,
    options?: { cause?: unknown },
  ) {
    super(`operation ${operationId} already exists`, options);
  }
}

/** Records an operation before it is sent to the agent (state pending). */
export async function insertOperation(db: Database, operation: NewOperation, now: Date = new Date()): Promise<OperationRow> {
  try {
    const [row] = await db
      .insert(operations)
      .values({
        id: operation.id,
        serverId: operation.serverId,
        kind: operation.kind,
        requestedBy: operation.requestedBy,
        request: operation.request ?? {},
        state: OPERATION_STATE.pending,
        createdAt: now,
      })
      .returning();
    if (!row) throw new Error('insert into operations returned no row');
    return row;
  } catch (err) {
    if (violatedUniqueConstraint(err) === 'operations_pkey') throw new OperationExistsError(operation.id, { cause: err });
    throw err;
  }
}

/** Marks a sent operation as running on its agent; undefined when unknown or already finished. */
export async function markOperationRunning(db: Database, id: string): Promise<OperationRow | undefined> {
  const [row] = await db
    .update(operations)
    .set({ state: OPERATION_STATE.running })
    .where(and(eq(operations.id, id), isNull(operations.finishedAt)))
    .returning();
  return row;
}

/**
 * Records an operation's outcome once: returns undefined, changing nothing, when the
 * operation is unknown or already finished (the first outcome stands).
 */
export async function finishOperation(db: Database, id: string, outcome: OperationOutcome, now: Date): Promise<OperationRow | undefined> {
  const [row] = await db
    .update(operations)
    .set({ state: outcome.state, error: outcome.error ?? null, result: outcome.result ?? null, finishedAt: now })
    .where(and(eq(operations.id, id), isNull(operations.finishedAt)))
    .returning();
  return row;
}

export async function findOperation(db: Database, id: string): Promise<OperationRow | undefined> {
  const [row] = await db.select().from(operations).where(eq(operations.id, id));
  return row;
}
