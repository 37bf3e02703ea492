import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { servers } from './servers.js';

/**
 * What the controller asked of an agent, mirroring the agent's own journal:
 *
 *   pending ──► running ──► succeeded | failed | interrupted
 *      └──────────────────► interrupted
 *
 * `id` is the operation id sent to the agent, so asking again with it attaches to
 * the same operation instead of doing the work twice.
 */
export const OPERATION_STATE = {
  pending: 'pending',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  interrupted: 'interrupted',
} as const;
export type OperationState = (typeof OPERATION_STATE)[keyof typeof OPERATION_STATE];
export type FinalOperationState = Exclude<OperationState, 'pending' | 'running'>;

export function isTerminalOperationState(state: OperationState): state is FinalOperationState {
  return state !== OPERATION_STATE.pending && state !== OPERATION_STATE.running;
}

export const operations = pgTable(
  'operations',
  {
    id: text('id').primaryKey(),
    /** Null once the server is removed; the record of what was asked stays. */
    serverId: uuid('server_id').references(() => servers.id, { onDelete: 'set null' }),
    kind: text('kind').notNull(),
    requestedBy: text('requested_by').notNull(),
    request: jsonb('request').$type<Record<string, unknown>>().notNull().default({}),
    state: text('state').$type<OperationState>().notNull().default(OPERATION_STATE.pending),
    error: text('error'),
    result: jsonb('result').$type<Record<string, unknown>>(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true, mode: 'date' }),
  },
  (t) => [
    index('operations_server_idx').on(t.serverId, t.createdAt),
    check('operations_state_check', sql`${t.state} in ('pending', 'running', 'succeeded', 'failed', 'interrupted')`),
  ],
);
