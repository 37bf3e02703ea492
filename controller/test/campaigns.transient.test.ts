import { status } from '@grpc/grpc-js';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { StateError } from '@wofleet/shared';
import { AgentCallError, AgentUnreachableError } from '../src/agents/client.js';
import { LeaseLostError } from '../src/campaigns/lease.js';
import { backoffMs, isTransient, RETRY_BACKOFF } from '../src/campaigns/transient.js';
import { ADMIN_URL } from './db.fixtures.js';

/** What the error is when `run` fails (the test fails when it does not). */
async function failureOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

/**
 * The one classifier of transient failures, on the errors the real drivers raise: a
 * Postgres that refuses connections or ends a session, and the agent client's
 * errors. Only "could not be reached" is transient; an answer is not.
 */
describe('transient failures', () => {
  const clients: postgres.Sql[] = [];
  const client = (url: string, options: postgres.Options<Record<string, never>> = {}) => {
    const made = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5, ...options });
    clients.push(made);
    return made;
  };
  afterAll(async () => {
    for (const made of clients) await made.end({ timeout: 0 }).catch(() => {});
  });

  it('a Postgres that refuses the connection is transient, through drizzle and bare', async () => {
    // Port 1 on loopback: nothing listens there.
    const closed = client('postgres://postgres@127.0.0.1:1/postgres');
    const bare = await failureOf(() => closed`select 1`);
    const wrapped = await failureOf(() => drizzle(closed).execute(sql`select 1`));
    expect((bare as { code?: string }).code).toBe('ECONNREFUSED');
    expect(isTransient(bare)).toBe(true);
    expect(isTransient(wrapped)).toBe(true);
  });

  it('a session Postgres terminates (pg_terminate_backend, as a restart does) is transient, in flight and on the next query', async () => {
    const victim = client(ADMIN_URL);
    const killer = client(ADMIN_URL);
    const [row] = await victim<Array<{ pid: number }>>`select pg_backend_pid() as pid`;
    const inFlight = failureOf(() => drizzle(victim).execute(sql`select pg_sleep(10)`));
    await new Promise((r) => setTimeout(r, 200));
    await killer`select pg_terminate_backend(${row?.pid ?? 0})`;
    const errors = [await inFlight];
    // postgres.js may hand the session's FATAL 57P01 to the next query on that connection.
    const next = await victim`select 1 as one`.then(
      () => undefined,
      (err: unknown) => err,
    );
    if (next !== undefined) errors.push(next);
    const codes = errors.map((err) => {
      const { code, cause } = err as { code?: string; cause?: { code?: string } };
      return cause?.code ?? code;
    });
    expect(codes.join(' ')).toMatch(/^(CONNECTION_CLOSED|57P01)( 57P01)?$/);
    for (const err of errors) expect(isTransient(err), String(err)).toBe(true);
    // Tried again, the pool connects anew and the query passes.
    await expect(victim`select 1 as one`).resolves.toEqual([{ one: 1 }]);
  });

  it('a statement Postgres answers with an error is not transient: a unique violation, a syntax error, a bad value', async () => {
    const db = drizzle(client(ADMIN_URL));
    await db.execute(sql`create temp table once (x int primary key)`);
    const violation = await failureOf(() => db.execute(sql`insert into once values (1), (1)`));
    const syntax = await failureOf(() => db.execute(sql.raw('selec 1')));
    const value = await failureOf(() => db.execute(sql`select 1 / 0`));
    const codes = [violation, syntax, value].map((err) => (err as { cause?: { code?: string } }).cause?.code);
    expect(codes).toEqual(['23505', '42601', '22012']);
    for (const err of [violation, syntax, value]) expect(isTransient(err), String(err)).toBe(false);
  });

  it('an agent that cannot be reached or did not answer in time is transient; one that answered is not', () => {
    expect(isTransient(new AgentUnreachableError('web-1', status.UNAVAILABLE, 'cannot reach agent web-1'))).toBe(true);
    expect(isTransient(new AgentUnreachableError('web-1', status.DEADLINE_EXCEEDED, 'agent web-1 did not answer'))).toBe(true);
    expect(isTransient(new AgentCallError('web-1', status.INTERNAL, 'agent web-1 refused: boom'))).toBe(false);
    expect(isTransient(new StateError('agent web-1: operation in progress'))).toBe(false);
    expect(isTransient(new LeaseLostError('lease on campaign 1 lost'))).toBe(false);
    expect(isTransient(new Error('stage: the archive does not match its digest'))).toBe(false);
  });

  it('the backoff doubles from its first wait to its cap, each wait in the upper half of its step', () => {
    const lowest = [0, 1, 2, 3, 10, 50].map((n) => backoffMs(n, () => 0));
    const highest = [0, 1, 2, 3, 10, 50].map((n) => backoffMs(n, () => 1));
    expect(highest).toEqual([100, 200, 400, 800, RETRY_BACKOFF.maxMs, RETRY_BACKOFF.maxMs]);
    expect(lowest).toEqual(highest.map((ms) => ms / 2));
  });
});
