import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate } from '@wofleet/shared';
import { readFleetCa } from '../src/ca/files.js';
import { listAuditEvents } from '../src/db/index.js';
import { createTestFleet, type ServerJson as WireServer, type TestFleet } from './cli.fixtures.js';

/** The operator commands through the built `wofleet` CLI against a running controller. */

let fleet: TestFleet;
beforeAll(async () => {
  fleet = await createTestFleet();
}, 60_000);
afterAll(async () => {
  await fleet?.destroy();
});

describe('servers', () => {
  it('add prints the one-time token and the enroll command line with the CA pin, reading the token from stdin', async () => {
    const r = await fleet.wofleet(['servers', 'add', 'web-1', '--address', '10.0.0.1:7443', '--label', 'region=eu', '--canary']);

    expect(r.code).toBe(0);
    const token = /^ {2}([A-Za-z0-9_-]{43})$/m.exec(r.stdout)?.[1];
    expect(token).toBeDefined();
    expect(r.stdout).toContain(`wofleet-agent enroll --controller ${fleet.address} --ca-fingerprint ${fleet.caFingerprint} --token-file -`);
    // The token is printed once, on its own line, never inside a command line.
    expect(r.stdout.split(token ?? '')).toHaveLength(2);
    expect(r.stdout).toContain('added server web-1 (10.0.0.1:7443), canary, labels region=eu');
  });

  it('add --json gives the server, a token valid for --token-ttl, and the CA fingerprint', async () => {
    const before = fleet.clock.now().getTime();
    const r = await fleet.wofleetJson<{ server: WireServer; enrollmentToken: string; expiresAt: string; caFingerprint: string }>([
      'servers',
      'add',
      'web-2',
      '--address',
      'web-2.example.com:7443',
      '--label',
      'region=us',
      '--token-ttl',
      '30m',
    ]);
    expect(r.server).toMatchObject({
      name: 'web-2',
      address: 'web-2.example.com:7443',
      labels: { region: 'us' },
      canary: false,
      state: 'pending-enrollment',
    });
    expect(Date.parse(r.expiresAt) - before).toBeGreaterThanOrEqual(30 * 60 * 1000 - 5_000);
    expect(Date.parse(r.expiresAt) - before).toBeLessThanOrEqual(30 * 60 * 1000 + 60_000);
    expect(r.caFingerprint).toBe(fleet.caFingerprint);
  });

  it('list --label shows only servers carrying every given label', async () => {
    const eu = await fleet.wofleetJson<WireServer[]>(['servers', 'list', '--label', 'region=eu']);
    expect(eu.map((s) => s.name)).toEqual(['web-1']);
    const human = await fleet.wofleet(['servers', 'list']);
    expect(human.stdout.split('\n')[0]).toMatch(/^NAME\s+ADDRESS\s+STATE\s+VERSION\s+CANARY/);
    expect(human.stdout).toMatch(/web-1\s+10\.0\.0\.1:7443\s+pending-enrollment\s+-\s+yes/);
    expect(human.stdout).toMatch(/web-2\s+web-2\.example\.com:7443\s+pending-enrollment\s+-\s+-/);
  });

  it('show prints one server; an unknown one is refused (exit 1)', async () => {
    const shown = await fleet.wofleetJson<{ server: WireServer }>(['servers', 'show', 'web-1']);
    expect(shown.server).toMatchObject({ name: 'web-1', canary: true });
    const unknown = await fleet.wofleet(['servers', 'show', 'ghost']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("wofleet: error: unknown server 'ghost'");
  });

  it('show --live of a server not enrolled yet shows the stored record and says why there is no live status (exit 1)', async () => {
    const human = await fleet.wofleet(['servers', 'show', 'web-1', '--live']);
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^name: +web-1$/m);
    expect(human.stderr).toBe('wofleet: live status unavailable: agent web-1 at 10.0.0.1:7443 is not enrolled yet\n');
    const json = await fleet.wofleet(['servers', 'show', 'web-1', '--live', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      server: { name: 'web-1' },
      status: null,
      liveError: 'agent web-1 at 10.0.0.1:7443 is not enrolled yet',
    });
    const unknown = await fleet.wofleet(['servers', 'show', 'ghost', '--live']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("wofleet: error: unknown server 'ghost'");
  });

  it('remove forgets the server and records who did it', async () => {
    const r = await fleet.wofleet(['servers', 'remove', 'web-2']);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe('removed server web-2\n');
    expect((await fleet.wofleetJson<WireServer[]>(['servers', 'list'])).map((s) => s.name)).toEqual(['web-1']);
    const [last] = await listAuditEvents(fleet.db, { limit: 1 });
    expect(last).toMatchObject({ kind: 'server-removed', subject: 'web-2', actor: 'operator:alice' });
  });
});

describe('releases and sites', () => {
  it('releases add puts a version in the catalog, releases list shows it oldest first', async () => {
    expect((await fleet.wofleet(['releases', 'add', '6.10.0', '--sha256', 'A'.repeat(64)])).code).toBe(0);
    const added = await fleet.wofleet([
      'releases',
      'add',
      '6.5.5',
      '--sha1',
      'b'.repeat(40),
      '--url',
      'https://example.com/wp-6.5.5.tar.gz',
    ]);
    expect(added.stdout).toBe(`added release 6.5.5 (sha1:${'b'.repeat(40)})\n`);

    const list = await fleet.wofleetJson<{ version: string; url: string; digest: { algorithm: string; hex: string } }[]>([
      'releases',
      'list',
    ]);

    expect(list.map((r) => [r.version, r.url, r.digest])).toEqual([
      ['6.5.5', 'https://example.com/wp-6.5.5.tar.gz', { algorithm: 'sha1', hex: 'b'.repeat(40) }],
      ['6.10.0', '', { algorithm: 'sha256', hex: 'a'.repeat(64) }],
    ]);
  });

  it('sites list answers an empty fleet with an empty list', async () => {
    expect(await fleet.wofleetJson<unknown[]>(['sites', 'list', '--server', 'web-1'])).toEqual([]);
    expect((await fleet.wofleet(['sites', 'list'])).stdout).toBe('no sites\n');
  });
});

describe('where the CLI finds its controller and credentials', () => {
  const emptyHome = () => path.join(fleet.root, 'nobody');

  it('takes flags when there is no config file', async () => {
    const op = fleet.operatorDir;
    const flags = ['--controller', fleet.address, '--ca', `${op}/ca.pem`, '--cert', `${op}/alice.pem`, '--key', `${op}/alice.key`];
    const r = await fleet.wofleet([...flags, 'servers', 'list', '--json'], { HOME: emptyHome() });
    expect(r.code).toBe(0);
  });

  it('takes the environment when there is no config file', async () => {
    const op = fleet.operatorDir;
    const env = {
      HOME: emptyHome(),
      WOFLEET_CONTROLLER: fleet.address,
      WOFLEET_CA: `${op}/ca.pem`,
      WOFLEET_CERT: `${op}/alice.pem`,
      WOFLEET_KEY: `${op}/alice.key`,
    };
    const r = await fleet.wofleet(['releases', 'list', '--json'], env);
    expect(r.code).toBe(0);
  });

  it('without any, says where to put the controller address (exit 2)', async () => {
    const r = await fleet.wofleet(['servers', 'list'], { HOME: emptyHome() });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `wofleet: error: no controller address: pass --controller, set WOFLEET_CONTROLLER, or set 'controller:' in ${emptyHome()}/.config/wofleet/config.yaml`,
    );
  });

  it('refuses a config file with an unknown key, naming it (exit 2)', async () => {
    const home = path.join(fleet.root, 'typo');
    await mkdir(path.join(home, '.config/wofleet'), { recursive: true });
    await writeFile(path.join(home, '.config/wofleet/config.yaml'), `controler: ${fleet.address}\n`);
    const r = await fleet.wofleet(['servers', 'list'], { HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown key: controler');
  });

  it('refuses an agent certificate as operator credentials before calling (exit 2)', async () => {
    const agent = await issueCertificate({ ca: await readFleetCa(fleet.dataDir), role: 'agent', name: 'web-1', validDays: 1 });
    await writeFile(path.join(fleet.root, 'agent.pem'), agent.certPem);
    await writeFile(path.join(fleet.root, 'agent.key'), agent.keyPem, { mode: 0o600 });
    const r = await fleet.wofleet(['servers', 'list'], {
      WOFLEET_CERT: path.join(fleet.root, 'agent.pem'),
      WOFLEET_KEY: path.join(fleet.root, 'agent.key'),
    });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`wofleet: error: ${path.join(fleet.root, 'agent.pem')} is marked agent, expected operator`);
  });

  it('says so in one line when the controller cannot be reached (exit 1)', async () => {
    const r = await fleet.wofleet(['--controller', '127.0.0.1:1', 'servers', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('wofleet: error: cannot reach the controller at 127.0.0.1:1');
  });
});
