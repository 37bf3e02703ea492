import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { listCampaigns, type CampaignEvent } from '../src/campaigns/index.js';
import { createCampaignRepository, writeCampaignState, writeTargetState, writeWaveState } from '../src/campaign-store/index.js';
import { actionRequest } from '../src/campaigns/transitions.js';
import {
  findServerByName,
  insertServer,
  listAuditEvents,
  markOfflineServers,
  markServerEnrolled,
  recordHeartbeat,
  upsertSites,
} from '../src/db/index.js';
import { natsCampaignPublisher } from '../src/events/campaign-events.js';
import { WATCH_CHANGES_FORMAT } from '../src/cli/rollout.js';
import { seedFleet } from './campaigns.fixtures.js';
import { CONTROLLER_CLI, createTestFleet, type TestFleet } from './cli.fixtures.js';
import { secondsAfter, T0 } from './db.fixtures.js';

/**
 * `wofleet rollout ...` through the built CLI, RolloutService and the engine, against a
 * running controller (real Postgres and NATS) that does not drive campaigns itself:
 * they are recorded and acted on, and their progress is moved here through the engine's
 * store, each change published the way the runner publishes it. (Campaigns driven
 * through real agents: tests/ e2e.)
 */
interface JsonView {
  id: string;
  state: string;
  reason: string | null;
  plan: { canary: string; waves: Array<{ index: number; servers: string[] }> };
  targets: Array<{ server: string; state: string }>;
}

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await createTestFleet({ runCampaigns: false });
  await seedFleet(fleet.db, [
    { name: 'web-1', labels: { region: 'eu' } },
    { name: 'web-2', canary: true, labels: { region: 'eu' } },
    { name: 'web-3', labels: { region: 'eu' } },
    { name: 'web-4', labels: { region: 'us' } },
    { name: 'web-5', labels: { region: 'us' } },
    { name: 'web-6', labels: { region: 'us' } },
  ]);
  await beatOnline();
  const web3 = await findServerByName(fleet.db, 'web-3');
  await upsertSites(fleet.db, web3!.id, [{ domain: 'shop.example.com', ssl: true }, { domain: 'blog.example.com' }]);
  expect(await markOfflineServers(fleet.db, secondsAfter(T0, 1))).toEqual(['web-6']);
}, 60_000);
// The controller's presence sweeper would take them offline after 30 s without a beat.
beforeEach(beatOnline);
// Without agents nothing ends a campaign: end what a test left active, so its servers are free for the next.
afterEach(async () => {
  for (const { id } of await listCampaigns({ repository: createCampaignRepository(fleet.db) }, { active: true })) await endCampaign(id);
});

/** Everyone beats now but web-6, whose last beat (seeded at T0) counts as missed. */
async function beatOnline(): Promise<void> {
  for (const name of ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'])
    await recordHeartbeat(fleet.db, name, { agentVersion: '0.1.0', health: 'ok' }, fleet.clock.now());
}
afterAll(async () => {
  await fleet?.destroy();
});

const ACTOR = 'controller:test';

async function startJson(args: string[]): Promise<JsonView> {
  return fleet.wofleetJson<JsonView>(['rollout', 'start', '--release', '6.5.5', ...args]);
}

async function endCampaign(id: string): Promise<void> {
  await publishAfter(writeCampaignState(fleet.db, id, { state: 'aborted', reason: 'test over' }, ACTOR, fleet.clock.now()));
}

async function publishAfter(write: Promise<CampaignEvent>): Promise<CampaignEvent> {
  const event = await write;
  natsCampaignPublisher(fleet.controller.nc, silentLogger())(event);
  return event;
}

/** A CLI that keeps running (watch): its stdout line by line, then its exit code. */
function follow(args: readonly string[]) {
  const child = spawn(process.execPath, [CONTROLLER_CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: fleet.home, WOFLEET_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let wake = () => {};
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    wake();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let closed = false;
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      closed = true;
      wake();
      resolve(code);
    }),
  );
  return {
    lines,
    exited,
    stderr: () => stderr,
    async until(count: number, timeoutMs = 15_000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (lines.length < count) {
        if (closed || Date.now() > deadline) {
          child.kill();
          throw new Error(
            `only ${lines.length} of ${count} lines (${closed ? 'it exited' : `after ${timeoutMs} ms`}): ${lines.join('\n')}\n${stderr}`,
          );
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 100);
        });
      }
      return lines;
    },
  };
}

describe('rollout plan', () => {
  it('prints the exact waves and servers, canary first, and records nothing', async () => {
    const r = await fleet.wofleet(['rollout', 'plan', '--release', '6.5.5', '--label', 'region=eu', '--waves', '1,1,50%']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('canary:        web-2\n');
    expect(r.stdout).toMatch(/^wave 0 \(canary\)\s+1\s+web-2$/m);
    expect(r.stdout).toMatch(/^wave 1\s+1\s+web-1$/m);
    expect(r.stdout).toMatch(/^wave 2\s+1\s+web-3$/m);
    const listed = await fleet.wofleetJson<JsonView[]>(['rollout', 'list']);
    expect(listed).toEqual([]);
  });

  it('--json gives the plan the engine made', async () => {
    const plan = await fleet.wofleetJson<{ canary: string; waves: Array<{ index: number; servers: string[] }> }>([
      'rollout',
      'plan',
      '--release',
      '6.5.5',
      '--servers',
      'web-1,web-3,web-4',
      '--canary',
      'web-4',
      '--waves',
      '1,50%',
    ]);
    expect(plan.canary).toBe('web-4');
    expect(plan.waves).toEqual([
      { index: 0, servers: ['web-4'] },
      { index: 1, servers: ['web-1', 'web-3'] },
    ]);
  });
});

describe('rollout plan and offline servers', () => {
  it('shows the targets offline now and the --offline handling (human and --json)', async () => {
    const r = await fleet.wofleet(['rollout', 'plan', '--release', '6.5.5', '--label', 'region=us']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('offline now:   1 (web-6)\n');
    expect(r.stdout).toContain('offline:       wait 5m for offline servers, then skip them (the canary fails)\n');
    const eu = await fleet.wofleet(['rollout', 'plan', '--release', '6.5.5', '--label', 'region=eu', '--offline', 'wait']);
    expect(eu.stdout).toContain('offline now:   none\n');
    expect(eu.stdout).toContain('offline:       wait for offline servers without limit\n');
    const plan = await fleet.wofleetJson<{ offlineServers: string[]; request: { offline: unknown } }>([
      'rollout',
      'plan',
      '--release',
      '6.5.5',
      '--offline',
      'fail',
      '--offline-wait',
      '2m',
    ]);
    expect(plan.offlineServers).toEqual(['web-6']);
    expect(plan.request.offline).toEqual({ policy: 'fail', waitMs: 120_000 });
  });
});

describe('rollout start, status, list and actions', () => {
  it('start prints the id; status, list and the actions reach the engine and show its answer', async () => {
    const start = await fleet.wofleet(['rollout', 'start', '--release', '6.5.5', '--label', 'region=eu', '--waves', '1,2']);
    expect(start.code).toBe(0);
    const id = /^started campaign ([0-9a-f-]{36}): release 6\.5\.5, 3 servers in 2 waves, canary web-2$/m.exec(start.stdout)?.[1];
    expect(id, start.stdout).toBeDefined();
    expect(start.stdout).toContain(`follow it: wofleet rollout watch ${id}`);

    const status = await fleet.wofleet(['rollout', 'status', id!]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`campaign:      ${id}\n`);
    expect(status.stdout).toContain('state:         running\n');
    expect(status.stdout).toContain('servers:       0/3 succeeded, 3 pending\n');
    expect(status.stdout).toMatch(/^web-2\s+0\s+pending\s+-$/m);

    const active = await fleet.wofleetJson<JsonView[]>(['rollout', 'list', '--active']);
    expect(active.map((c) => c.id)).toContain(id);

    const paused = await fleet.wofleet(['rollout', 'pause', id!]);
    expect(paused.stdout).toBe(`campaign ${id} is paused (${actionRequest('pause', 'operator:alice')})\n`);
    const again = await fleet.wofleet(['rollout', 'pause', id!]);
    expect(again.code).toBe(1);
    expect(again.stderr.trim()).toBe(`wofleet: error: cannot pause campaign ${id}: it is paused (pause needs running)`);
    expect((await fleet.wofleetJson<JsonView>(['rollout', 'resume', id!])).state).toBe('running');
    const promote = await fleet.wofleet(['rollout', 'promote', id!]);
    expect(promote.code).toBe(1);
    expect(promote.stderr).toContain(`cannot promote campaign ${id}: it is running (promote needs awaiting-promotion)`);
    expect((await fleet.wofleetJson<JsonView>(['rollout', 'abort', id!])).state).toBe('aborting');

    const audit = await listAuditEvents(fleet.db, { limit: 50 });
    expect(audit.filter((e) => e.subject === id && e.actor === 'operator:alice').map((e) => (e.data as { state: string }).state)).toEqual(
      expect.arrayContaining(['running', 'paused', 'aborting']),
    );
  });

  it('a server held by an active campaign is refused for another (exit 1)', async () => {
    const first = await startJson(['--servers', 'web-4,web-5', '--canary', 'web-4', '--waves', '1,1']);
    for (const command of ['plan', 'start']) {
      const second = await fleet.wofleet([
        'rollout',
        command,
        '--release',
        '6.5.5',
        '--servers',
        'web-5,web-1',
        '--canary',
        'web-1',
        '--waves',
        '1,1',
      ]);
      expect(second.code).toBe(1);
      expect(second.stderr.trim()).toBe(`wofleet: error: server 'web-5' is already in active campaign ${first.id}`);
    }
  });

  it('start takes the canary site and the external checks; status shows them, and --json carries them', async () => {
    const flags = ['--servers', 'web-1,web-3', '--canary', 'web-1', '--waves', '1,1', '--canary-site', 'shop.example.com'];
    const checks = ['--check-http', 'path=/cart/,connect=server:8080,body=Cart, now', '--check-http', 'status=301'];
    const command = ['--check-command', '/usr/local/bin/smoke --fast', '--check-timeout', '20s'];
    const { id } = await startJson([...flags, ...checks, ...command]);
    const status = await fleet.wofleet(['rollout', 'status', id]);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(
      [
        'canary site:   shop.example.com on web-3; auto on the others',
        'checks:        http path=/cart/,connect=server:8080,body=Cart, now (status 200, at most 5000 ms)',
        '               http status=301 (status 301, at most 5000 ms)',
        '               command /usr/local/bin/smoke --fast (timeout 20s)',
      ].join('\n'),
    );
    const json = await fleet.wofleetJson<{ plan: { canarySiteServers: string[]; request: { canarySite: string; checks: unknown } } }>([
      'rollout',
      'status',
      id,
    ]);
    expect(json.plan.canarySiteServers).toEqual(['web-3']);
    expect(json.plan.request.canarySite).toBe('shop.example.com');
    expect(json.plan.request.checks).toEqual({
      http: [
        {
          text: 'path=/cart/,connect=server:8080,body=Cart, now',
          path: '/cart/',
          status: 200,
          body: 'Cart, now',
          maxMs: 5000,
          connect: { port: 8080 },
        },
        { text: 'status=301', path: '/', status: 301, maxMs: 5000 },
      ],
      commands: [{ text: '/usr/local/bin/smoke --fast', argv: ['/usr/local/bin/smoke', '--fast'], timeoutMs: 20_000 }],
    });
  });

  it("rollback across a DB schema change is refused with the snapshots' age and sites, and done with --restore-db", async () => {
    const { id } = await startJson(['--servers', 'web-4,web-5', '--canary', 'web-4', '--waves', '1,1']);
    for (const [name, domains] of [
      ['web-4', ['a.example.com', 'b.example.com']],
      ['web-5', ['c.example.com']],
    ] as const) {
      const server = await findServerByName(fleet.db, name);
      await upsertSites(
        fleet.db,
        server!.id,
        domains.map((domain) => ({ domain })),
      );
    }
    // Switched three days and two hours ago from DB 57155 to 58975; the campaign succeeded.
    const switchedAt = new Date(fleet.clock.now().getTime() - (3 * 24 + 2) * 3_600_000);
    for (const [wave, server] of ['web-4', 'web-5'].entries()) {
      const key = { campaignId: id, server, wave };
      const switched = { switched: true, fromRelease: 'wp-6.4.5-1', fromDbVersion: 57155, toRelease: 'wp-6.6.1-1', toDbVersion: 58975 };
      await writeTargetState(fleet.db, key, 'succeeded', { ...switched, verifyingSince: switchedAt }, ACTOR, switchedAt);
    }
    await writeCampaignState(fleet.db, id, { state: 'succeeded', reason: 'every wave done' }, ACTOR, fleet.clock.now());

    const refused = await fleet.wofleet(['rollout', 'rollback', id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `wofleet: error: rolling back campaign ${id} would restore the DB snapshots of 3 sites on 2 servers, taken 3d 2h ago ` +
        'when the campaign switched them: every write since would be lost. Add --restore-db to roll back and restore them',
    );
    expect((await fleet.wofleetJson<JsonView>(['rollout', 'status', id])).state).toBe('succeeded');

    const restoring = await fleet.wofleetJson<JsonView>(['rollout', 'rollback', id, '--restore-db']);
    expect(restoring.state).toBe('rolling-back');
    expect(restoring.reason).toBe(`${actionRequest('rollback', 'operator:alice')}, DB snapshots restored (--restore-db)`);
    const help = await fleet.wofleet(['rollout', 'rollback', '--help']);
    expect(help.stdout).toMatch(/--restore-db\s+also restore the DB snapshots/);
  });

  it('status of an unknown campaign is refused (exit 1), a malformed id is a usage error (exit 2)', async () => {
    const unknown = await fleet.wofleet(['rollout', 'status', '6f1c1d3e-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("wofleet: error: unknown campaign '6f1c1d3e-0000-4000-8000-000000000000'");
    const malformed = await fleet.wofleet(['rollout', 'abort', 'latest']);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.trim()).toBe(
      "wofleet: error: invalid campaign id 'latest': expected the id 'wofleet rollout start' or 'list' printed",
    );
  });
});

/** Bad flags: one line, exit 2 (1 for a fleet that is not ready), and no campaign recorded. */
const REFUSED: Array<[string, string[], number, string]> = [
  ['no release', [], 2, '--release is required'],
  ['bad waves', ['--release', '6.5.5', '--waves', '1,0,20%'], 2, "invalid --waves '1,0,20%'"],
  [
    'a first wave that is not one server',
    ['--release', '6.5.5', '--waves', '2,50%'],
    2,
    'the first wave is the canary wave and must hold exactly one server',
  ],
  [
    'waves that leave one empty',
    ['--release', '6.5.5', '--servers', 'web-1,web-3', '--waves', '1,1,50%'],
    2,
    'wave 3 (50%) would be empty',
  ],
  ['bad window', ['--release', '6.5.5', '--window', 'weekdays at night'], 2, "--window 'weekdays at night'"],
  ['bad duration', ['--release', '6.5.5', '--min-healthy', '30 seconds'], 2, "invalid --min-healthy '30 seconds'"],
  ['bad failure budget', ['--release', '6.5.5', '--max-failures', '150%'], 2, "invalid --max-failures '150%'"],
  ['bad max parallel', ['--release', '6.5.5', '--max-parallel', '0'], 2, "invalid --max-parallel '0'"],
  ['unknown server', ['--release', '6.5.5', '--servers', 'web-1,ghost'], 2, "--servers: unknown server 'ghost'"],
  ['unknown release', ['--release', '6.9.9'], 2, '--release 6.9.9 is not in the release catalog'],
  ['bad HTTP check', ['--release', '6.5.5', '--check-http', 'status=ok'], 2, "invalid --check-http 'status=ok': status 'ok' must be"],
  ['check timeout without a command', ['--release', '6.5.5', '--check-timeout', '5s'], 2, '--check-timeout bounds --check-command'],
  [
    'canary site not in the inventory',
    ['--release', '6.5.5', '--canary-site', 'nope.example.com'],
    2,
    '--canary-site nope.example.com is not a site',
  ],
  [
    'canary site on no target',
    ['--release', '6.5.5', '--servers', 'web-1,web-2', '--waves', '1,1', '--canary-site', 'shop.example.com'],
    2,
    '--canary-site shop.example.com is on web-3, none of them a target of this campaign',
  ],
  ['offline canary', ['--release', '6.5.5', '--servers', 'web-6,web-1', '--canary', 'web-6'], 1, "canary server 'web-6' is offline"],
];

describe.concurrent('rollout plan and start refuse what cannot work', () => {
  it.each(REFUSED)('%s', async (_what, flags, code, message) => {
    for (const command of ['plan', 'start']) {
      const r = await fleet.wofleet(['rollout', command, ...flags]);
      expect(r.code, `${command}: ${r.stderr}`).toBe(code);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('rollout watch', () => {
  it('--json: the snapshot, then one object per change in order, exit 0 when the campaign succeeds', async () => {
    const { id } = await startJson(['--servers', 'web-1,web-3', '--canary', 'web-1', '--waves', '1,1']);
    const watch = follow(['rollout', 'watch', id, '--json']);
    await watch.until(1);
    const now = () => fleet.clock.now();
    const sent = [
      await publishAfter(writeWaveState(fleet.db, id, 0, 'running', ACTOR, now())),
      await publishAfter(writeTargetState(fleet.db, { campaignId: id, server: 'web-1', wave: 0 }, 'succeeded', {}, ACTOR, now())),
    ];
    await watch.until(3);
    sent.push(await publishAfter(writeCampaignState(fleet.db, id, { state: 'succeeded', reason: null }, ACTOR, now())));
    expect(await watch.exited).toBe(0);

    const messages = watch.lines.map((line) => JSON.parse(line) as { event: CampaignEvent | null; campaign: JsonView });
    expect(messages.map((m) => m.event)).toEqual([null, ...sent]);
    expect(messages[0]?.campaign).toMatchObject({ id, state: 'running' });
    expect(messages[2]?.campaign.targets.find((t) => t.server === 'web-1')?.state).toBe('succeeded');
    expect(messages.at(-1)?.campaign.state).toBe('succeeded');
  });

  it('--json --changes: the campaign on the first line, then per change only what changed; without --json a usage error', async () => {
    const { id } = await startJson(['--servers', 'web-1,web-3', '--canary', 'web-1', '--waves', '1,1']);
    const watch = follow(['rollout', 'watch', id, '--json', '--changes']);
    await watch.until(1);
    const now = () => fleet.clock.now();
    const sent = [
      await publishAfter(writeTargetState(fleet.db, { campaignId: id, server: 'web-1', wave: 0 }, 'succeeded', {}, ACTOR, now())),
    ];
    await watch.until(2);
    sent.push(await publishAfter(writeCampaignState(fleet.db, id, { state: 'succeeded', reason: null }, ACTOR, now())));
    expect(await watch.exited).toBe(0);

    type Line = {
      format: string;
      event: CampaignEvent | null;
      campaign?: JsonView;
      changes?: { state: string; targets: JsonView['targets'] };
    };
    const lines = watch.lines.map((line) => JSON.parse(line) as Line);
    expect(lines.map((l) => [l.format, l.event])).toEqual([
      [WATCH_CHANGES_FORMAT, null],
      [WATCH_CHANGES_FORMAT, sent[0]],
      [WATCH_CHANGES_FORMAT, sent[1]],
    ]);
    expect(lines[0]?.campaign?.targets.map((t) => [t.server, t.state])).toEqual([
      ['web-1', 'pending'],
      ['web-3', 'pending'],
    ]);
    expect(lines[1]?.campaign).toBeUndefined();
    expect(lines[1]?.changes?.targets.map((t) => [t.server, t.state])).toEqual([['web-1', 'succeeded']]);
    expect(lines[2]?.changes).toMatchObject({ state: 'succeeded', targets: [] });

    const plain = await fleet.wofleet(['rollout', 'watch', id, '--changes']);
    expect([plain.code, plain.stderr.trim()]).toEqual([2, 'wofleet: error: --changes is for --json output: add --json']);
  });

  it('plain lines when stdout is not a terminal; exit 1 when the campaign is aborted', async () => {
    const { id } = await startJson(['--servers', 'web-1,web-3', '--canary', 'web-1', '--waves', '1,1']);
    const watch = follow(['rollout', 'watch', id]);
    await watch.until(1);
    const aborting = await fleet.wofleet(['rollout', 'abort', id]);
    expect(aborting.code).toBe(0);
    await watch.until(2);
    await publishAfter(
      writeCampaignState(fleet.db, id, { state: 'aborted', reason: 'aborted by operator:alice' }, ACTOR, fleet.clock.now()),
    );
    expect(await watch.exited).toBe(1);

    expect(watch.lines[0]).toMatch(/ campaign: running \| 0\/2 succeeded, 2 pending \| no wave started of 2 \| elapsed \d+s$/);
    expect(watch.lines[1]).toContain(` campaign: aborting (${actionRequest('abort', 'operator:alice')}) | 0/2 succeeded, 2 pending | `);
    expect(watch.lines[2]).toMatch(/ campaign: aborted \(aborted by operator:alice\) \| /);
    expect(watch.lines.at(-1)).toMatch(
      new RegExp(`^campaign ${id} ended aborted \\(aborted by operator:alice\\) after \\d+s: 0/2 succeeded, 2 pending$`),
    );
    expect(watch.stderr()).toBe('');
  });

  it('start --watch prints the id, then follows the campaign to its end', async () => {
    const watch = follow(['rollout', 'start', '--release', '6.5.5', '--servers', 'web-3', '--waves', '1', '--watch']);
    const [first] = await watch.until(2);
    const id = /^started campaign ([0-9a-f-]{36}):/.exec(first ?? '')?.[1];
    expect(id, first).toBeDefined();
    await publishAfter(writeCampaignState(fleet.db, id!, { state: 'succeeded', reason: null }, ACTOR, fleet.clock.now()));
    expect(await watch.exited).toBe(0);
    expect(watch.lines.at(-1)).toMatch(new RegExp(`^campaign ${id} succeeded after`));
  });

  it('an unknown campaign ends the watch at once with exit 1', async () => {
    const watch = follow(['rollout', 'watch', '6f1c1d3e-0000-4000-8000-000000000000']);
    expect(await watch.exited).toBe(1);
    expect(watch.stderr().trim()).toBe("wofleet: error: unknown campaign '6f1c1d3e-0000-4000-8000-000000000000'");
  });
});

describe('rollout watch on a terminal', () => {
  it('redraws a progress bar under the changes, then prints the outcome', async () => {
    const { id } = await startJson(['--servers', 'web-4', '--waves', '1']);
    // script(1) gives the CLI a pseudo-terminal as stdout; -e passes its exit code on.
    const child = spawn('script', ['-qfec', `${process.execPath} ${CONTROLLER_CLI} rollout watch ${id}`, '/dev/null'], {
      env: { PATH: process.env.PATH ?? '', HOME: fleet.home, WOFLEET_LOG_LEVEL: 'silent', TERM: 'dumb' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const deadline = Date.now() + 15_000;
    while (!output.includes('[------------------------] 0/1')) {
      if (Date.now() > deadline) throw new Error(`no progress bar: ${JSON.stringify(output)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await publishAfter(writeTargetState(fleet.db, { campaignId: id, server: 'web-4', wave: 0 }, 'succeeded', {}, ACTOR, fleet.clock.now()));
    await publishAfter(writeCampaignState(fleet.db, id, { state: 'succeeded', reason: null }, ACTOR, fleet.clock.now()));
    expect(await exited).toBe(0);

    expect(output).toContain('\r\x1b[K[------------------------] 0/1 · 0/1 succeeded, 1 pending · no wave started of 1 · running · ');
    expect(output).toMatch(/\r\x1b\[K\S+ web-4 \(wave 0\): succeeded\r?\n/);
    expect(output).toContain('\r\x1b[K[########################] 1/1 · 1/1 succeeded · no wave started of 1 · succeeded · ');
    expect(output).toMatch(new RegExp(`campaign ${id} succeeded after \\d+s: 1/1 succeeded\\r?\\n$`));
  });
});

describe('rollout --help', () => {
  it('watch and start document the exit codes', async () => {
    for (const command of ['watch', 'start']) {
      const r = await fleet.wofleet(['rollout', command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Exit codes: 0 the campaign succeeded; 1 it failed, was aborted or rolled back');
    }
  });

  it('start lists every flag of the issue', async () => {
    const r = await fleet.wofleet(['rollout', 'start', '--help']);
    for (const flag of [
      '--release',
      '--servers',
      '--label',
      '--canary',
      '--waves',
      '--max-parallel',
      '--max-failures',
      '--min-healthy',
      '--healthy-deadline',
      '--progress-deadline',
      '--pause-after-canary',
      '--window',
      '--no-auto-rollback',
      '--canary-site',
      '--check-http',
      '--check-command',
      '--check-timeout',
      '--offline',
      '--offline-wait',
      '--json',
      '--watch',
    ]) {
      expect(r.stdout).toContain(flag);
    }
    // Why skip is the default, and what happens to an offline canary.
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('one dead server does not halt the fleet');
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('An offline canary is never skipped');
  });
});

describe('servers remove while a campaign works on the server', () => {
  it('is refused naming the campaign (exit 1); --force skips its target with an audit row and frees the name', async () => {
    const campaign = await startJson(['--servers', 'web-4,web-5', '--waves', '1,1']);
    const refused = await fleet.wofleet(['servers', 'remove', 'web-5']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `wofleet: error: server 'web-5' is pending in active campaign ${campaign.id}: let the campaign finish or abort it, or remove with --force (its target is skipped)\n`,
    );
    expect(await findServerByName(fleet.db, 'web-5')).toBeDefined();

    const forced = await fleet.wofleet(['servers', 'remove', 'web-5', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toBe('removed server web-5\n');
    expect(await findServerByName(fleet.db, 'web-5')).toBeUndefined();
    const status = await fleet.wofleetJson<{ state: string; targets: Array<{ server: string; state: string; reason: string | null }> }>([
      'rollout',
      'status',
      campaign.id,
    ]);
    expect(status.state).toBe('running');
    expect(status.targets).toEqual([
      expect.objectContaining({ server: 'web-4', state: 'pending' }),
      expect.objectContaining({ server: 'web-5', state: 'skipped', reason: 'server removed from the inventory' }),
    ]);
    const [removal, skipped] = await listAuditEvents(fleet.db, { limit: 2 });
    expect(removal).toMatchObject({ kind: 'server-removed', subject: 'web-5', data: { forcedOutOf: [campaign.id] } });
    expect(skipped).toMatchObject({
      kind: 'campaign.target',
      subject: 'web-5',
      actor: 'operator:alice',
      data: { campaignId: campaign.id, state: 'skipped', reason: 'server removed from the inventory' },
    });

    // A server added back under the name can be targeted at once, while that campaign still runs.
    await insertServer(fleet.db, { name: 'web-5', address: '127.0.0.1:7999', labels: { region: 'us' } });
    await markServerEnrolled(fleet.db, 'web-5', 'e'.repeat(64), fleet.clock.now());
    await recordHeartbeat(fleet.db, 'web-5', { agentVersion: '0.1.0', health: 'ok' }, fleet.clock.now());
    const again = await fleet.wofleet(['rollout', 'plan', '--release', '6.5.5', '--servers', 'web-5', '--waves', '1']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
  });

  it('--help documents --force', async () => {
    const r = await fleet.wofleet(['servers', 'remove', '--help']);
    expect(r.stdout).toContain('--force');
    expect(r.stdout).toContain('refused while an active campaign still works on it');
  });
});
