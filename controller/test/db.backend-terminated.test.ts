import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { openDatabase, type OpenDatabase } from '../src/db/index.js';
import { createScratchDatabase, type ScratchPostgres } from './db.fixtures.js';

/**
 * A Postgres restart terminates every backend, also those in the middle of a transaction.
 * postgres.js 3.4.9 then sent the transaction's rollback on the closed connection and
 * threw from a setImmediate (upstream #1133): the controller process died. Patched
 * (patches/postgres@3.4.9.patch): the transaction fails, the pool connects again.
 * Here the controller's own database layer runs transactions as the campaign write batch
 * does (statements pipelined), while its backends are terminated again and again.
 */
let scratch: ScratchPostgres;
let database: OpenDatabase;
let admin: postgres.Sql;
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  scratch = await createScratchDatabase();
  database = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', log: silentLogger(), maxConnections: 4 });
  admin = postgres(scratch.url, { max: 1, onnotice: () => {} });
  await database.db.execute(sql`create table counter (id int primary key, n int not null)`);
  await database.db.execute(sql`insert into counter values (1, 0)`);
  process.on('uncaughtException', onUncaught);
}, 60_000);

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await admin?.end({ timeout: 5 });
  await database?.close();
  await scratch?.drop();
});

/** One write-batch-like transaction: lock the row, then statements sent together. */
const transaction = () =>
  database.db.transaction(async (tx) => {
    await tx.execute(sql`select n from counter where id = 1 for update`);
    await Promise.all([
      tx.execute(sql`update counter set n = n + 1 where id = 1`),
      tx.execute(sql`select pg_sleep(0.005)`),
      tx.execute(sql`update counter set n = n + 1 where id = 1`),
    ]);
  });

describe('backends terminated under the controller', () => {
  it('fail the transactions they were in, never the process; the pool serves again afterwards', async () => {
    let running = true;
    const outcome = { committed: 0, failed: 0 };
    const loops = Array.from({ length: 4 }, async () => {
      while (running) {
        await transaction().then(
          () => outcome.committed++,
          () => outcome.failed++,
        );
      }
    });
    for (let i = 0; i < 30; i++) {
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 80));
      await admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'wofleet-controller' and datname = current_database()`;
    }
    running = false;
    await Promise.all(loops);

    expect(uncaught).toEqual([]);
    expect(outcome.failed, 'transactions the terminations broke').toBeGreaterThan(0);
    expect(outcome.committed, 'transactions between the terminations').toBeGreaterThan(0);
    // A connection whose termination it has not read yet may fail the first one or two; then the pool is whole again.
    let warmUp = 0;
    for (
      ;
      warmUp < 10 &&
      !(await transaction().then(
        () => true,
        () => false,
      ));
      warmUp++
    );
    expect(warmUp, 'transactions failed after the last termination').toBeLessThan(10);
    for (let i = 0; i < 20; i++) await transaction();
    const [row] = (await database.db.execute(sql`select n from counter where id = 1`)) as unknown as { n: number }[];
    const n = row?.n ?? -1;
    // All of a transaction or none of it; one whose commit answer was lost may have committed.
    expect(n % 2, 'a transaction half applied').toBe(0);
    expect(n).toBeGreaterThanOrEqual(2 * (outcome.committed + 21));
    expect(n).toBeLessThanOrEqual(2 * (outcome.committed + outcome.failed + warmUp + 21));
  });
});
