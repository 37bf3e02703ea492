import net from 'node:net';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { openDatabase, type OpenDatabase } from '../src/db/index.js';
import { createScratchDatabase, type ScratchPostgres } from './db.fixtures.js';

/**
 * A Postgres restart terminates every backend, also those in the middle of a transaction or
 * of their first query. postgres.js 3.4.9 mishandles several of those moments (upstream #1133,
 * #1186, #1215): it threw from a setImmediate or left a rejection unhandled (the controller
 * process died), handed a closed backend's error to the next connection's first query, left
 * a statement sent on a dying connection pending, could leave a reconnection's startup
 * message unwritten, and ran a finished transaction's later statements, even its commit, on the
 * reconnected connection inside another transaction. Patched (patches/postgres@3.4.9.patch)
 * and configured (controller/src/db/database.ts); here the controller's own database layer
 * meets those moments.
 */
let scratch: ScratchPostgres;
let database: OpenDatabase;
let admin: postgres.Sql;
/** Uncaught exceptions and unhandled rejections: either one ends the controller process. */
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  scratch = await createScratchDatabase();
  database = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', log: silentLogger(), maxConnections: 4 });
  admin = postgres(scratch.url, { max: 1, onnotice: () => {} });
  await database.db.execute(sql`create table counter (id int primary key, n int not null)`);
  await database.db.execute(sql`insert into counter values (1, 0)`);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onUncaught);
}, 60_000);

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onUncaught);
  await admin?.end({ timeout: 5 });
  await database?.close();
  await scratch?.drop();
});

/** What a Postgres restart does to the controller's connections to the test database. */
const terminateControllerBackends = () =>
  admin`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'wofleet-controller' and datname = current_database()`;

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
    for (let i = 0; i < 90; i++) {
      await new Promise((r) => setTimeout(r, 40 + Math.random() * 80));
      await terminateControllerBackends();
    }
    running = false;
    const stopped = Date.now();
    await Promise.all(loops);
    // A statement sent on a dying connection, or a reconnection waiting out seconds of backoff,
    // once held a transaction here forever (or for up to 20 s).
    expect(Date.now() - stopped, 'ms for the transactions in flight to settle').toBeLessThan(5000);

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

describe('a transaction whose backend was terminated', () => {
  it("fails what its callback sends afterwards, instead of running it in the reconnected connection's next transaction", async () => {
    const single = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', log: silentLogger(), maxConnections: 1 });
    try {
      await single.db.execute(sql`create table entries (owner text not null, n int not null)`);
      const a = paused();
      let late: Promise<unknown> | undefined;
      const first = single.db.transaction(async (tx) => {
        await tx.execute(sql`insert into entries values ('a', 1)`);
        await a.pause();
        late = tx.execute(sql`insert into entries values ('a', 2)`);
        await late;
      });
      await a.reached;
      await terminateControllerBackends();
      await expect(first).rejects.toThrow();
      // The pool's one connection, connected again, is in another transaction when the first one's callback goes on.
      const b = paused();
      const second = single.db.transaction(async (tx) => {
        await tx.execute(sql`insert into entries values ('b', 1)`);
        await b.pause();
        await tx.execute(sql`insert into entries values ('b', 2)`);
      });
      await b.reached;
      a.resume();
      await new Promise((r) => setTimeout(r, 200));
      expect(late, 'the first callback went on').toBeDefined();
      await expect(late).rejects.toThrow();
      b.resume();
      await second;
      const rows = (await single.db.execute(sql`select owner, n from entries order by owner, n`)) as unknown as {
        owner: string;
        n: number;
      }[];
      expect(rows.map((r) => `${r.owner}${r.n}`)).toEqual(['b1', 'b2']);
      expect(uncaught).toEqual([]);
    } finally {
      await single.close();
    }
  });
});

/** A point a transaction's callback stops at until the test lets it go on. */
function paused() {
  let arrive!: () => void;
  let go!: () => void;
  const reached = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (go = resolve));
  return {
    reached,
    pause: () => {
      arrive();
      return released;
    },
    resume: () => go(),
  };
}

describe('a backend terminated as a new connection sends its first query', () => {
  it('fails that query at most, leaves no rejection unhandled, and the pool serves again', async () => {
    const relay = await startTerminatingRelay(new URL(scratch.url), (pid) => admin`select pg_terminate_backend(${pid})`);
    const viaRelay = await openDatabase({ databaseUrl: relay.url, dataDir: '/nonexistent', log: silentLogger(), maxConnections: 2 });
    try {
      relay.arm(4);
      await terminateControllerBackends();
      const outcome = { ok: 0, failed: 0 };
      const started = Date.now();
      for (let i = 0; i < 40 && relay.terminated() < 4; i++) {
        await viaRelay.db.execute(sql`select 1`).then(
          () => outcome.ok++,
          () => outcome.failed++,
        );
      }
      expect(relay.terminated(), 'connections terminated at their first query').toBe(4);
      // Let every termination's error and close arrive before looking for what was left unhandled.
      await new Promise((r) => setTimeout(r, 500));
      expect(uncaught).toEqual([]);
      // One failed query per termination, and one more if a query raced the first termination
      // of all; a closed backend's error handed on to the next connection's first query would
      // fail a second query per termination.
      expect(outcome.failed, 'queries the terminations failed').toBeGreaterThanOrEqual(4);
      expect(outcome.failed, 'queries the terminations failed').toBeLessThanOrEqual(5);
      await viaRelay.db.execute(sql`select 1`);
      // Each reconnection is prompt: no startup message left unwritten, no backoff of seconds.
      expect(Date.now() - started, 'ms for four terminations and reconnections').toBeLessThan(3000);
      for (let i = 0; i < 10; i++) await viaRelay.db.execute(sql`select 1`);
    } finally {
      await viaRelay.close();
      await relay.close();
    }
  });
});

/**
 * A TCP relay to Postgres that, while armed, has the backend of each new connection
 * terminated just as that connection sends its first query: the moment a restart catches a
 * pool reconnecting.
 */
async function startTerminatingRelay(target: URL, terminate: (pid: number) => Promise<unknown>) {
  let armed = 0;
  let terminated = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    for (const s of [client, upstream]) {
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    let pid = 0;
    let ready = false;
    let fromServer = Buffer.alloc(0);
    // Reads the server's messages up to its first ReadyForQuery: BackendKeyData carries the pid.
    const watchServer = (chunk: Buffer) => {
      fromServer = Buffer.concat([fromServer, chunk]);
      while (!ready && fromServer.length >= 5) {
        const length = fromServer.readUInt32BE(1);
        if (fromServer.length < 1 + length) break;
        const type = String.fromCharCode(fromServer[0] ?? 0);
        if (type === 'K') pid = fromServer.readUInt32BE(5);
        if (type === 'Z') ready = true;
        fromServer = fromServer.subarray(1 + length);
      }
      if (ready) upstream.off('data', watchServer);
    };
    upstream.on('data', watchServer);
    upstream.pipe(client);
    let first = true;
    client.on('data', (chunk: Buffer) => {
      if (!(ready && first)) return void upstream.write(chunk);
      first = false;
      if (armed === 0) return void upstream.write(chunk);
      armed--;
      client.pause();
      void terminate(pid).then(() => {
        terminated++;
        upstream.write(chunk);
        client.resume();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    arm: (connections: number) => {
      armed = connections;
    },
    terminated: () => terminated,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
