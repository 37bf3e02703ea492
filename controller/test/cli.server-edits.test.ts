import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findServerByName, listAuditEvents } from '../src/db/index.js';
import { createTestFleet, type ServerJson, type TestFleet } from './cli.fixtures.js';

/** `servers update` and `servers add --from-file` through the built CLI against a running controller. */

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await createTestFleet({ runCampaigns: false });
  await fleet.addServer('web-1');
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

describe('servers update', () => {
  it('sets and removes labels, the canary flag and the address, and audits the change', async () => {
    expect((await fleet.wofleet(['servers', 'update', 'web-1', '--label', 'region=eu', '--label', 'tier=web'])).code).toBe(0);
    const updated = await fleet.wofleetJson<ServerJson>([
      'servers',
      'update',
      'web-1',
      '--remove-label',
      'region',
      '--canary',
      '--address',
      '10.0.0.9:7443',
    ]);
    expect(updated).toMatchObject({
      name: 'web-1',
      labels: { tier: 'web' },
      canary: true,
      address: '10.0.0.9:7443',
      state: 'pending-enrollment',
    });
    expect(await findServerByName(fleet.db, 'web-1')).toMatchObject({ labels: { tier: 'web' }, canary: true, address: '10.0.0.9:7443' });
    const [last] = await listAuditEvents(fleet.db, { limit: 1 });
    expect(last).toMatchObject({
      kind: 'server-updated',
      subject: 'web-1',
      actor: 'operator:alice',
      data: {
        before: { address: 'web-1.example.com:7443', labels: { region: 'eu', tier: 'web' }, canary: false },
        after: { address: '10.0.0.9:7443', labels: { tier: 'web' }, canary: true },
      },
    });
    expect((await fleet.wofleetJson<ServerJson>(['servers', 'update', 'web-1', '--no-canary'])).canary).toBe(false);
  });

  it.each([
    [['web-1'], 'wofleet: error: nothing to change: give --label, --remove-label, --canary or --no-canary, or --address', 2],
    [['web-1', '--label', 'a=b', '--remove-label', 'a'], "wofleet: error: label 'a' is both set and removed", 2],
    [['web-1', '--remove-label', 'bad key'], "wofleet: error: invalid label key 'bad key'", 2],
    [['web-1', '--address', 'nope'], "wofleet: error: invalid --address 'nope'", 2],
    [['ghost', '--canary'], "wofleet: error: unknown server 'ghost'", 1],
  ])('refuses %j in one line, changing nothing', async (args, line, code) => {
    const before = await findServerByName(fleet.db, 'web-1');
    const r = await fleet.wofleet(['servers', 'update', ...args]);
    expect(r.code).toBe(code);
    expect(r.stderr.startsWith(line), r.stderr).toBe(true);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(await findServerByName(fleet.db, 'web-1')).toEqual(before);
  });
});

describe('servers add --from-file', () => {
  it('registers every server of a YAML file, a token each, and prints them as JSON', async () => {
    const file = path.join(fleet.root, 'servers.yaml');
    await writeFile(
      file,
      'servers:\n  - name: web-10\n    address: 10.0.1.10:7443\n    labels: {region: eu}\n    canary: true\n  - name: web-11\n    address: 10.0.1.11:7443\n',
    );
    const r = await fleet.wofleetJson<{ added: { server: ServerJson; enrollmentToken: string }[]; refused: unknown[] }>([
      'servers',
      'add',
      '--from-file',
      file,
      '--token-ttl',
      '2h',
    ]);
    expect(r.refused).toEqual([]);
    expect(r.added.map((a) => [a.server.name, a.server.canary, a.server.labels, a.server.state])).toEqual([
      ['web-10', true, { region: 'eu' }, 'pending-enrollment'],
      ['web-11', false, {}, 'pending-enrollment'],
    ]);
    const tokens = r.added.map((a) => a.enrollmentToken);
    expect(new Set(tokens).size).toBe(2);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('reads CSV, prints one token per server, and reports a server the controller refuses with exit 1', async () => {
    const file = path.join(fleet.root, 'servers.csv');
    await writeFile(file, 'name,address,labels,canary\nweb-20,10.0.2.20:7443,region=us;tier=web,no\nweb-10,10.0.1.10:7443,,\n');
    const r = await fleet.wofleet(['servers', 'add', '--from-file', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('added 1 of 2 servers');
    expect(r.stdout).toMatch(/^web-20\s+\S+\s+[A-Za-z0-9_-]{43}$/m);
    expect(r.stdout).toContain("refused web-10: server 'web-10' already exists");
    expect(await findServerByName(fleet.db, 'web-20')).toMatchObject({ labels: { region: 'us', tier: 'web' }, canary: false });
  });

  it('checks the whole file first: a mistake on any line adds no server', async () => {
    const file = path.join(fleet.root, 'bad.yaml');
    await writeFile(file, 'servers:\n  - name: web-30\n    address: 10.0.3.30:7443\n  - name: Web_31\n    address: 10.0.3.31:7443\n');
    const r = await fleet.wofleet(['servers', 'add', '--from-file', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^wofleet: error: --from-file .*bad\.yaml: server 2: invalid server name 'Web_31'/);
    expect(await findServerByName(fleet.db, 'web-30')).toBeUndefined();
    const both = await fleet.wofleet(['servers', 'add', 'web-40', '--from-file', file]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--from-file takes the names');
  });
});
