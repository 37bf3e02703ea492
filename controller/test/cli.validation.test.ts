import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRelease } from '../src/releases/catalog.js';
import { listAuditEvents, listReleases, listServers } from '../src/db/index.js';
import { createTestFleet, type TestFleet } from './cli.fixtures.js';

/**
 * Bad operator input through the built `wofleet` CLI: one clear line on stderr, exit 2
 * for a usage error or 1 for a refused operation, and nothing written (the database
 * and `servers list --json` / `releases list --json` are the same afterwards).
 */
let fleet: TestFleet;
let before: { servers: string; releases: string };

async function dbState() {
  return {
    servers: await listServers(fleet.db),
    releases: await listReleases(fleet.db),
    events: (await listAuditEvents(fleet.db, { limit: 1000 })).map((e) => e.id),
  };
}

beforeAll(async () => {
  fleet = await createTestFleet();
  await fleet.addServer('web-1');
  await addRelease(fleet.controller.context, { version: '6.5.5', digest: { algorithm: 'sha1', hex: 'a'.repeat(40) } }, 'operator:alice');
  before = {
    servers: (await fleet.wofleet(['servers', 'list', '--json'])).stdout,
    releases: (await fleet.wofleet(['releases', 'list', '--json'])).stdout,
  };
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

/**
 * The bad inputs the issue names, through the built CLI; servers.input, releases.input
 * and config.controller tests have the full tables, in-process.
 */
const CASES: [string, string[], number, string][] = [
  ['a duplicate server name', ['servers', 'add', 'web-1', '--address', '10.0.0.9:7443'], 1, "server 'web-1' already exists"],
  [
    'an address without port',
    ['servers', 'add', 'web-2', '--address', 'web-2.example.com'],
    2,
    "invalid --address 'web-2.example.com': expected HOST:PORT",
  ],
  ['a port out of range', ['servers', 'add', 'web-2', '--address', 'web-2.example.com:65536'], 2, 'port 65536 is out of range 1-65535'],
  [
    'a label without =',
    ['servers', 'add', 'web-2', '--address', '10.0.0.2:7443', '--label', 'region'],
    2,
    "invalid label 'region': expected KEY=VALUE",
  ],
  [
    'a label key with bad characters',
    ['servers', 'add', 'web-2', '--address', '10.0.0.2:7443', '--label', 'reg ion=eu'],
    2,
    "invalid label 'reg ion=eu': the key",
  ],
  ['removing an unknown server', ['servers', 'remove', 'ghost'], 1, "unknown server 'ghost'"],
  [
    'an unknown --offline policy',
    ['rollout', 'start', '--release', '6.5.5', '--offline', 'later'],
    2,
    "invalid --offline 'later': expected skip, fail, wait",
  ],
  [
    '--offline-wait with --offline wait',
    ['rollout', 'plan', '--release', '6.5.5', '--offline', 'wait', '--offline-wait', '1m'],
    2,
    '--offline-wait does not apply to --offline wait',
  ],
  ['a release without digest', ['releases', 'add', '6.6.1'], 2, 'release 6.6.1 needs the archive digest: --sha1 HEX or --sha256 HEX'],
  [
    'a release with both digests',
    ['releases', 'add', '6.6.1', '--sha1', 'b'.repeat(40), '--sha256', 'c'.repeat(64)],
    2,
    'give either --sha1 or --sha256, not both',
  ],
  ['a release with a malformed version', ['releases', 'add', '6.x.1', '--sha1', 'b'.repeat(40)], 2, "invalid WordPress version '6.x.1'"],
  [
    'a release already in the catalog',
    ['releases', 'add', '6.5.5', '--sha1', 'd'.repeat(40)],
    1,
    'release 6.5.5 is already in the catalog',
  ],
];

describe.concurrent('wofleet refuses bad input with one line, the right exit code, and writes nothing', () => {
  it.each(CASES)('%s', async (_what, args, code, message) => {
    const dbBefore = await dbState();

    const r = await fleet.wofleet(args);

    expect(r.code).toBe(code);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(await dbState()).toEqual(dbBefore);
  });
});

describe('after every refusal', () => {
  it('servers list --json and releases list --json are unchanged', async () => {
    expect((await fleet.wofleet(['servers', 'list', '--json'])).stdout).toBe(before.servers);
    expect((await fleet.wofleet(['releases', 'list', '--json'])).stdout).toBe(before.releases);
  });
});
