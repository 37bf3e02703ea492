/**
 * The agent's data safety (issue 14, item 7), through the BUILT CLI on temp hosts with no
 * stack: DB snapshot dumps pruned with their records and counted by `status`, damaged
 * journal and outbox files counted once quarantined, `remove --all` checking WordOps'
 * word against the disk, and a stage refused on a filesystem too full for it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from 'nats';
import { engineFor, initSites, runAgent, runAgentJson, writeAgentConfig, WP645, WP655, type AgentHost } from './support/agent.js';
import { agentClient, call, makeFleetPki, startDaemon, type RunningDaemon } from './support/agent-daemon.js';
import { createEventStream } from './support/event-stream.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { generatorVersion } from './support/releases.js';
import { startStack, type Stack } from './support/stack.js';

const mounts: string[] = [];
const roots: string[] = [];
afterAll(async () => {
  for (const mount of mounts) execFileSync('umount', [mount]);
  for (const root of roots) await rm(root, { recursive: true, force: true });
});

/** A temp host whose config points every agent path inside it, initialised on 6.4.5 (`wo` prints nothing and exits 0). */
async function initialisedHost(beforeInit?: (host: AgentHost) => Promise<void>): Promise<AgentHost> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-data-'));
  roots.push(root);
  const host: AgentHost = {
    root,
    agentConfig: {
      sharedRoot: path.join(root, 'shared'),
      sitesRoot: path.join(root, 'www'),
      stateDir: path.join(root, 'state'),
      woBin: '/bin/true',
      nginx: { sitesAvailable: path.join(root, 'nginx', 'sites-available') },
    },
    env: {},
  };
  await writeAgentConfig(host);
  await beforeInit?.(host);
  const init = await runAgent(host, ['init', '--release', WP645]);
  expect(init.code, init.stderr).toBe(0);
  return host;
}

const stateDir = (host: AgentHost) => path.join(host.root, 'state');
const oneErrorLine = (stderr: string) => stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('... '));

interface Status {
  disk: { snapshots: { dumps: number; bytes: number } };
  quarantined: { operations: number; outbox: number };
}

/** A batch of dumps as a snapshot leaves it: `snapshots/<batch>/<domain>.sql`, last written at `mtime`. */
async function writeBatch(host: AgentHost, batch: string, mtime: Date): Promise<string> {
  const dir = path.join(stateDir(host), 'snapshots', batch);
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, 'a.test.sql');
  await writeFile(file, `-- dump of ${batch}\n${'INSERT INTO t VALUES (1);\n'.repeat(2000)}`);
  await utimes(dir, mtime, mtime);
  return file;
}

/** Update records in the agent's state, each with a snapshot of a.test in `file`, as a succeeded update leaves them. */
async function addUpdateRecords(host: AgentHost, records: readonly { id: string; file: string }[]): Promise<void> {
  const stateFile = path.join(stateDir(host), 'state.json');
  const state = JSON.parse(await readFile(stateFile, 'utf8')) as { updates: unknown[] };
  for (const { id, file } of records) {
    state.updates.push({
      id,
      from: 'wp-6.4.5-a',
      to: 'wp-6.5.5-b',
      fromDbVersion: 56657,
      toDbVersion: 57155,
      startedAt: '2025-01-01T00:00:00.000Z',
      outcome: 'succeeded',
      snapshots: [{ domain: 'a.test', file, dbVersion: 56657 }],
    });
  }
  await writeFile(stateFile, JSON.stringify(state));
}

describe('agent data safety (real CLI, temp hosts)', () => {
  it("an update that trims the oldest of 20 update records removes that record's dumps with it", async () => {
    const host = await initialisedHost();
    const ids = Array.from({ length: 20 }, (_, i) => `u202501${String(i + 1).padStart(2, '0')}T000000000Z`);
    const records: { id: string; file: string }[] = [];
    for (const [i, id] of ids.entries()) records.push({ id, file: await writeBatch(host, id, new Date(Date.UTC(2025, 0, i + 1))) });
    await addUpdateRecords(host, records);

    const update = await runAgent(host, ['update', '--release', WP655, '--force']);
    expect(update.code, update.stderr).toBe(0);
    const state = JSON.parse(await readFile(path.join(stateDir(host), 'state.json'), 'utf8')) as { updates: { id: string }[] };
    expect(state.updates).toHaveLength(20);
    expect(state.updates[0]?.id).toBe(ids[1]);
    expect(readdirSync(path.join(stateDir(host), 'snapshots')).sort()).toEqual(ids.slice(1));
    expect((await runAgentJson<Status>(host, ['status'])).disk.snapshots.dumps).toBe(19);
  });

  it('prune removes the dumps of trimmed update records and all but the 5 newest unrecorded batches; status counts what stays', async () => {
    const host = await initialisedHost();
    const day = (d: number) => new Date(Date.UTC(2025, 0, d));
    const recordedFile = await writeBatch(host, 'u20250110T000000000Z', day(10));
    await writeBatch(host, 'u20250101T000000000Z', day(20)); // its record was trimmed: newest, still goes
    await writeBatch(host, 'convert-gone.test-20250101T000000000Z', day(1)); // its backup is gone
    for (let d = 2; d <= 8; d++) await writeBatch(host, `db-2025010${d}T000000000Z`, day(d));
    await mkdir(path.join(stateDir(host), 'backups', 'kept.test-20241201T000000000Z'), { recursive: true });
    await writeBatch(host, 'convert-kept.test-20241201T000000000Z', day(0));
    await addUpdateRecords(host, [{ id: 'u20250110T000000000Z', file: recordedFile }]);

    const before = await runAgentJson<Status>(host, ['status']);
    expect(before.disk.snapshots.dumps).toBe(11);
    const pruned = await runAgentJson<{ removed: string[]; snapshotBatches: string[] }>(host, ['prune']);
    expect(pruned.snapshotBatches).toEqual([
      'convert-gone.test-20250101T000000000Z',
      'db-20250102T000000000Z',
      'db-20250103T000000000Z',
      'u20250101T000000000Z',
    ]);
    expect(readdirSync(path.join(stateDir(host), 'snapshots')).sort()).toEqual([
      'convert-kept.test-20241201T000000000Z',
      'db-20250104T000000000Z',
      'db-20250105T000000000Z',
      'db-20250106T000000000Z',
      'db-20250107T000000000Z',
      'db-20250108T000000000Z',
      'u20250110T000000000Z',
    ]);

    const after = await runAgentJson<Status>(host, ['status']);
    expect(after.disk.snapshots.dumps).toBe(7);
    expect(after.disk.snapshots.bytes).toBeGreaterThanOrEqual(7 * 50_000);
    expect(after.disk.snapshots.bytes).toBeLessThan(before.disk.snapshots.bytes);
    const human = await runAgent(host, ['status']);
    expect(human.stdout).toMatch(/DB snapshots: 7 dump\(s\), \d+\.\d KiB/);
  });

  it('the daemon starts past a damaged journal record and outbox event, quarantines both and announces them', async () => {
    const host = await initialisedHost();
    const operationsDir = path.join(stateDir(host), 'operations');
    const outboxDir = path.join(stateDir(host), 'outbox');
    await mkdir(operationsDir, { recursive: true });
    await mkdir(outboxDir, { recursive: true });
    await writeFile(path.join(operationsDir, 'stage-1.json'), '{"version":1,"id":"stage-1","kind":"st');
    await writeFile(path.join(outboxDir, '000000000000001-0000001-000001-aaaaaa.json'), '\u0000\u0000');
    let nats: NatsServer | undefined;
    let daemon: RunningDaemon | undefined;
    try {
      nats = await startNatsServer();
      await createEventStream(nats.url);
      await mkdir(path.join(host.root, 'pki'));
      const pki = await makeFleetPki(path.join(host.root, 'pki'), 'web-q');
      daemon = await startDaemon(host, pki, { natsUrl: nats.url, serverId: 'web-q', heartbeatSeconds: 1 });
      const client = agentClient(daemon.port, pki.ca.certPem, 'web-q', pki.controller);
      try {
        const op = await call<object, { state: string }>(client, 'GetOperation', { operationId: 'stage-1' });
        expect(op.state).toBe('OPERATION_STATE_INTERRUPTED');
      } finally {
        client.close();
      }
      const nc = await connect({ servers: nats.url });
      try {
        const consumer = await nc.jetstream().consumers.get('WOFLEET_EVENTS');
        const seen: { type: string; data: { area?: string; file?: string } }[] = [];
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline && seen.filter((e) => e.type === 'file-quarantined').length < 2) {
          for await (const m of await consumer.fetch({ max_messages: 50, expires: 1_000 })) seen.push(m.json());
        }
        const quarantined = seen.filter((e) => e.type === 'file-quarantined').map((e) => `${e.data.area} ${e.data.file}`);
        expect(quarantined.sort()).toEqual(['operations stage-1.json', 'outbox 000000000000001-0000001-000001-aaaaaa.json']);
      } finally {
        await nc.close();
      }
      expect(daemon.output()).toContain('damaged operation journal record quarantined');
    } finally {
      daemon?.child.kill('SIGTERM');
      await daemon?.exited;
      await nats?.dispose();
    }
    const status = await runAgentJson<Status>(host, ['status']);
    expect(status.quarantined).toEqual({ operations: 1, outbox: 1 });
    const human = await runAgent(host, ['status']);
    expect(human.stdout).toContain('quarantined: 2 damaged file(s) moved aside (operation journal 1, event outbox 1)');
  });

  it("remove --all is refused when 'wo site list' lists nothing but the disk has sites, and removes nothing", async () => {
    const host = await initialisedHost();
    const sitesAvailable = path.join(host.root, 'nginx', 'sites-available');
    await mkdir(sitesAvailable, { recursive: true });
    // a.test on the shared core; b.test a site of WordOps' own (its nginx conf), not on the shared core.
    await mkdir(path.join(host.root, 'www', 'a.test', 'htdocs'), { recursive: true });
    await symlink(path.join(host.root, 'shared', 'current'), path.join(host.root, 'www', 'a.test', 'htdocs', 'wp'));
    await mkdir(path.join(host.root, 'www', 'b.test', 'htdocs'), { recursive: true });
    await writeFile(path.join(sitesAvailable, 'b.test'), 'server {}\n');
    // WordOps' own vhosts are not sites.
    await mkdir(path.join(host.root, 'www', '22222', 'htdocs'), { recursive: true });
    await writeFile(path.join(sitesAvailable, '22222'), 'server {}\n');

    const refused = await runAgent(host, ['remove', '--all']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    expect(oneErrorLine(refused.stderr)).toEqual([
      `wofleet-agent: error: 'wo site list' does not list 2 site(s) the disk has in ${path.join(host.root, 'www')}: a.test, b.test; refusing to remove the shared core while WordOps and the disk disagree (check 'wo site list' and /var/log/wo/wordops.log)`,
    ]);
    expect(existsSync(path.join(host.root, 'shared', 'current', 'wp-settings.php'))).toBe(true);
    expect(existsSync(path.join(stateDir(host), 'state.json'))).toBe(true);
  });

  it('a stage onto a release filesystem too full for it is refused with the numbers, leaving nothing behind', async () => {
    const host = await initialisedHost(async (h) => {
      // The release dir on its own 30 MiB filesystem: 6.4.5 (about 18 MiB) fits, a second core does not.
      const releases = path.join(h.root, 'shared', 'releases');
      await mkdir(releases, { recursive: true });
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=30m', 'tmpfs', releases]);
      mounts.push(releases);
    });
    const releases = path.join(host.root, 'shared', 'releases');
    const before = readdirSync(releases).sort();
    const refused = await runAgent(host, ['update', '--release', WP655]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    const [line, ...rest] = oneErrorLine(refused.stderr);
    expect(rest).toEqual([]);
    expect(line).toMatch(
      new RegExp(
        `^wofleet-agent: error: staging wordpress-6\\.5\\.5\\.tar\\.gz refused: not enough free space: the release about 19\\.6 MiB in ${releases.replace(/[.]/g, '\\.')}, but \\d+\\.\\d MiB is free of 30\\.0 MiB and 1\\.5 MiB must stay free \\(limits\\.reservePercent 5% of the filesystem, at most limits\\.reserveBytes\\)$`,
      ),
    );
    expect(readdirSync(releases).sort()).toEqual(before);
    expect(readdirSync(path.join(releases, '.staging'))).toEqual([]);
  });
});

describe('DB snapshot free space on a real nginx + PHP-FPM + MariaDB stack', () => {
  let stack: Stack | undefined;
  let mounted: string | undefined;
  afterAll(async () => {
    if (mounted) execFileSync('umount', [mounted]);
    await stack?.stop();
  });

  it('an update whose DB snapshot would fill the state filesystem is refused before the dump: nothing moves, nothing is left', async () => {
    stack = await startStack();
    await initSites(stack, ['a.test']);
    // The dumps' filesystem: 64 KiB, less than any WordPress DB's tables (16 KiB a table at least).
    const snapshots = path.join(stack.stateDir, 'snapshots');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', snapshots]);
    mounted = snapshots;
    const current = readlinkSync(path.join(stack.sharedRoot, 'current'));

    const refused = await runAgent(stack, ['update', '--release', WP655, '--canary', 'a.test']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).not.toMatch(/^\s+at /m);
    const [line, ...rest] = oneErrorLine(refused.stderr);
    expect(rest).toEqual([]);
    expect(line).toMatch(
      /^wofleet-agent: error: canary failed: a\.test: DB snapshot refused: not enough free space: the SQL dump about \d+\.\d KiB in \S+\/snapshots\/u\d{8}T\d{9}Z, but \d+\.\d KiB is free of 64\.0 KiB and 3\.2 KiB must stay free \(.*\); reverted$/,
    );
    expect(readlinkSync(path.join(stack.sharedRoot, 'current'))).toBe(current);
    expect(readdirSync(snapshots)).toEqual([]);
    expect(generatorVersion((await stack.request('a.test', '/')).body)).toBe('6.4.5');
    expect((await engineFor(stack).probe.report('a.test')).db_version).toBe(56657);
  });
});
