import { existsSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentServiceClient } from '@wofleet/proto';
import { createFleetCa, issueCertificate } from '@wofleet/shared';
import { runAgent, writeAgentConfig, WP645, WP655 } from './support/agent.js';
import {
  agentClient,
  call,
  makeFleetPki,
  startDaemon,
  waitForOperation,
  type FleetPki,
  type RunningDaemon,
} from './support/agent-daemon.js';
import { createEventStream } from './support/event-stream.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { copyIntoMirror, generatorVersion, injectFatal, repackRelease } from './support/releases.js';
import { startStack, type Stack } from './support/stack.js';
import { runWo } from './support/standins.js';

const SERVER_ID = 'web-01';

interface Op {
  id: string;
  state: string;
  error: string;
  resultJson: string;
  stageRelease?: { release: { id: string; version: string; dbVersion: number; digest: { algorithm: string; hex: string } } };
}

describe('agent daemon: gRPC with mutual TLS, NATS heartbeats and events, crash recovery', () => {
  let stack: Stack;
  let nats: NatsServer;
  let pki: FleetPki;
  let daemon: RunningDaemon;
  let client: AgentServiceClient;
  let nc: NatsConnection;
  let release655 = '';
  /** releases.mirrorDir: StageRelease names files only in here, e.g. copies of the fixtures. */
  let mirror: string;
  let wp645: string;
  let wp655: string;

  const serving = async (domain: string) => generatorVersion((await stack.request(domain, '/')).body);
  const start = async (env: Record<string, string> = {}) => {
    daemon = await startDaemon(stack, pki, { natsUrl: nats.url, serverId: SERVER_ID, heartbeatSeconds: 1, env, mirrorDir: mirror });
    client = agentClient(daemon.port, pki.ca.certPem, SERVER_ID, pki.controller);
  };
  const stopDaemon = async () => {
    client?.close();
    if (daemon && daemon.child.exitCode === null && daemon.child.signalCode === null) {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
  };
  const mutate = (method: string, request: Record<string, unknown>) => call<Record<string, unknown>, Op>(client, method, request);
  const finish = async (method: string, request: Record<string, unknown> & { operationId: string }) => {
    await mutate(method, request);
    return (await waitForOperation(client, request.operationId)) as unknown as Op;
  };

  beforeAll(async () => {
    stack = await startStack();
    mirror = path.join(stack.root, 'mirror');
    wp645 = copyIntoMirror(mirror, WP645);
    wp655 = copyIntoMirror(mirror, WP655);
    nats = await startNatsServer();
    await createEventStream(nats.url);
    await writeAgentConfig(stack);
    expect((await runAgent(stack, ['init', '--release', WP645])).code).toBe(0);
    for (const domain of ['a.test', 'b.test']) expect((await runAgent(stack, ['create', domain])).code).toBe(0);
    await mkdir(path.join(stack.root, 'pki'));
    pki = await makeFleetPki(path.join(stack.root, 'pki'), SERVER_ID);
    await start();
    nc = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await nc?.close();
    await stopDaemon();
    await nats?.dispose();
    await stack?.stop();
  });

  it('answers every query over mutual TLS', async () => {
    const statusAnswer = await call<object, { serverId: string; current: { version: string }; sites: number }>(client, 'GetStatus', {});
    expect(statusAnswer).toMatchObject({ serverId: SERVER_ID, current: { version: '6.4.5' }, sites: 2 });
    const sites = await call<object, { sites: { domain: string; health: string }[] }>(client, 'ListSites', {});
    expect(sites.sites.map((s) => [s.domain, s.health])).toEqual([
      ['a.test', 'HEALTH_LEVEL_OK'],
      ['b.test', 'HEALTH_LEVEL_OK'],
    ]);
    const health = await call<object, { level: string; checks: unknown[]; proofs: unknown[] }>(client, 'CheckHealth', { site: 'a.test' });
    expect(health.level).toBe('HEALTH_LEVEL_OK');
    expect(health.proofs).toEqual([]);
    const deep = await call<
      object,
      { level: string; proofs: { site: string; ok: boolean; release: string; dbVersion: number; culprit: string }[] }
    >(client, 'CheckHealth', { site: 'a.test', deep: true });
    expect(deep.level).toBe('HEALTH_LEVEL_OK');
    expect(deep.proofs).toHaveLength(1);
    expect(deep.proofs[0]).toMatchObject({ site: 'a.test', ok: true, dbVersion: 56657, culprit: '' });
    expect(deep.proofs[0]?.release).toMatch(/^wp-6\.4\.5-/);
    const releases = await call<object, { releases: { version: string; marks: string[] }[] }>(client, 'ListReleases', {});
    expect(releases.releases).toHaveLength(1);
    expect(releases.releases[0]?.marks).toContain('RELEASE_MARK_CURRENT');
    const baseline = await call<object, { plugins: string[]; theme: string }>(client, 'GetBaseline', {});
    expect(baseline).toMatchObject({ plugins: [], theme: '' });
  });

  it.each([
    ['no client certificate', async () => undefined, status.UNAVAILABLE],
    [
      'a certificate from another CA',
      async () =>
        issueCertificate({ ca: await createFleetCa({ commonName: 'other', validDays: 5 }), role: 'controller', name: 'x', validDays: 5 }),
      status.UNAVAILABLE,
    ],
    [
      'an expired certificate',
      async () =>
        issueCertificate({ ca: pki.ca, role: 'controller', name: 'old', validDays: 1, notBefore: new Date(Date.now() - 3 * 86_400_000) }),
      status.UNAVAILABLE,
    ],
    [
      'a certificate not marked as controller',
      async () => issueCertificate({ ca: pki.ca, role: 'agent', name: 'web-02', validDays: 5 }),
      status.PERMISSION_DENIED,
    ],
  ])('rejects a client with %s', async (_label, makeCert, code) => {
    const cert = await makeCert();
    const rogue = agentClient(daemon.port, pki.ca.certPem, SERVER_ID, cert);
    try {
      const err = (await call(rogue, 'GetStatus', {}, 5_000).catch((e: unknown) => e)) as ServiceError;
      expect(err.code).toBe(code);
    } finally {
      rogue.close();
    }
  });

  it.each([
    ['a bad domain', 'CreateSite', { operationId: 'bad-1', domain: 'a;rm -rf /' }, /invalid domain/],
    ['a bad version', 'StageRelease', { operationId: 'bad-2', source: '6.x' }, /invalid WordPress version|not a path/],
    ['an unknown release', 'Activate', { operationId: 'bad-3', releaseId: 'wp-9.9.9-20990101T000000Z' }, /unknown release wp-9\.9\.9/],
    ['a missing operation id', 'RemoveSite', { domain: 'a.test' }, /operation_id is required/],
    ['an oversized field', 'StageRelease', { operationId: 'bad-5', source: `/tmp/${'x'.repeat(5000)}` }, /5005 characters/],
    ['an invalid operation id', 'Prune', { operationId: '../../etc/passwd' }, /operation id/],
  ])('refuses %s with INVALID_ARGUMENT and writes nothing', async (_label, method, request, message) => {
    const before = readdirSync(path.join(stack.stateDir, 'operations')).sort();
    const releasesBefore = readdirSync(path.join(stack.sharedRoot, 'releases')).sort();
    const err = (await mutate(method, request).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
    expect(readdirSync(path.join(stack.stateDir, 'operations')).sort()).toEqual(before);
    expect(readdirSync(path.join(stack.sharedRoot, 'releases')).sort()).toEqual(releasesBefore);
  });

  it.each([
    ['a path outside releases.mirrorDir', () => WP655, /is outside releases\.mirrorDir/],
    ['a file:// URL outside it', () => 'file:///etc/shadow', / \/etc\/shadow is outside releases\.mirrorDir/],
    ['a .. escape from it', () => `${mirror}/../../../etc/shadow`, /is outside releases\.mirrorDir/],
    [
      'a symlink in it leading out',
      () => {
        symlinkSync('/etc/shadow', path.join(mirror, 'shadow.tar.gz'));
        return path.join(mirror, 'shadow.tar.gz');
      },
      /shadow\.tar\.gz is outside releases\.mirrorDir/,
    ],
  ])('refuses to stage %s with INVALID_ARGUMENT and reads nothing', async (_label, source, message) => {
    const before = readdirSync(path.join(stack.stateDir, 'operations')).sort();
    const err = (await mutate('StageRelease', { operationId: 'outside', source: source() }).catch((e: unknown) => e)) as ServiceError;
    expect(err.code).toBe(status.INVALID_ARGUMENT);
    expect(err.details).toMatch(message);
    expect(readdirSync(path.join(stack.stateDir, 'operations')).sort()).toEqual(before);
  });

  it('stages, activates and rolls back as operations; a repeated id does the work once', async () => {
    const staged = await finish('StageRelease', { operationId: 'stage-655', source: wp655 });
    expect(staged.state, staged.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(staged.resultJson).toBe('');
    expect(staged.stageRelease?.release).toMatchObject({ version: '6.5.5', dbVersion: 57155, digest: { algorithm: 'sha256' } });
    const releaseId = staged.stageRelease?.release.id ?? '';
    release655 = releaseId;
    const releasesAfter = readdirSync(path.join(stack.sharedRoot, 'releases')).sort();
    const again = await mutate('StageRelease', { operationId: 'stage-655', source: wp655 });
    expect(again).toMatchObject({ id: 'stage-655', state: 'OPERATION_STATE_SUCCEEDED', stageRelease: staged.stageRelease });
    expect(readdirSync(path.join(stack.sharedRoot, 'releases')).sort()).toEqual(releasesAfter);
    const conflict = (await mutate('StageRelease', { operationId: 'stage-655', source: wp645 }).catch((e: unknown) => e)) as ServiceError;
    expect(conflict.code).toBe(status.ALREADY_EXISTS);

    const activated = await finish('Activate', { operationId: 'activate-655', releaseId, canarySite: 'a.test' });
    expect(activated.state, activated.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(await serving('a.test')).toBe('6.5.5');
    expect(await serving('b.test')).toBe('6.5.5');

    const upgraded = await finish('UpgradeDb', { operationId: 'upgrade-db-1' });
    expect(upgraded.state, upgraded.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(JSON.parse(upgraded.resultJson)).toMatchObject({ dbVersion: 57155, upgraded: [] });

    const rolled = await finish('Rollback', { operationId: 'rollback-1', restoreDb: true });
    expect(rolled.state, rolled.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(await serving('a.test')).toBe('6.4.5');

    const pruned = await finish('Prune', { operationId: 'prune-1', keep: 1 });
    expect(pruned.state, pruned.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(JSON.parse(pruned.resultJson)).toMatchObject({ removed: [] });
  });

  it('attaches a repeated id to the running operation instead of starting it again', async () => {
    const custom = repackRelease(WP655, (dir) => injectFatal(dir), { into: mirror });
    const request = { operationId: 'stage-custom', source: custom.file, digest: { algorithm: 'sha256', hex: custom.sha256 } };
    const [first, second] = await Promise.all([mutate('StageRelease', request), mutate('StageRelease', request)]);
    expect(first.id).toBe(second.id);
    const done = await waitForOperation(client, 'stage-custom');
    expect(done.state).toBe('OPERATION_STATE_SUCCEEDED');
    const staged = readdirSync(path.join(stack.sharedRoot, 'releases')).filter((n) => n.startsWith('wp-6.5.5'));
    expect(staged).toHaveLength(2);
  });

  it('creates, converts, reverts and removes sites and sets the baseline as operations', async () => {
    const created = await finish('CreateSite', { operationId: 'create-c', domain: 'c.test' });
    expect(created.state, created.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(await serving('c.test')).toBe('6.4.5');
    expect((await runWo(stack, ['site', 'create', 'd.test', '--wp'])).exitCode).toBe(0);
    const converted = await finish('ConvertSite', { operationId: 'convert-d', domain: 'd.test' });
    expect(converted.state, converted.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(readlinkSync(path.join(stack.sitesRoot, 'd.test', 'htdocs', 'wp'))).toBe(path.join(stack.sharedRoot, 'current'));
    const reverted = await finish('ConvertSite', { operationId: 'revert-d', domain: 'd.test', revert: true });
    expect(reverted.state, reverted.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(existsSync(path.join(stack.sitesRoot, 'd.test', 'htdocs', 'wp-settings.php'))).toBe(true);
    const baseline = await finish('SetBaseline', {
      operationId: 'baseline-1',
      baseline: { plugins: ['hello.php'], theme: '', options: {} },
    });
    expect(baseline.state, baseline.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(await call<object, { plugins: string[] }>(client, 'GetBaseline', {})).toMatchObject({ plugins: ['hello.php'] });
    const removed = await finish('RemoveSite', { operationId: 'remove-c', domain: 'c.test' });
    expect(removed.state, removed.error).toBe('OPERATION_STATE_SUCCEEDED');
    expect(existsSync(path.join(stack.sitesRoot, 'c.test'))).toBe(false);
  });

  it('sends heartbeats at the configured period', async () => {
    const beats: { serverId: string; current: { version: string } | null; sites: number; at: string }[] = [];
    const sub = nc.subscribe(`wofleet.agent.${SERVER_ID}.heartbeat`);
    const started = Date.now();
    for await (const msg of sub) {
      beats.push(msg.json());
      if (beats.length === 4) break;
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(2_500);
    expect(elapsed).toBeLessThan(6_500);
    expect(beats[0]).toMatchObject({ serverId: SERVER_ID, current: { version: '6.4.5' }, sites: 2 });
  });

  it.each([
    ['stage:after-extract', 'StageRelease'],
    ['switch:after-rename', 'Activate'],
  ])('after kill -9 at %s the operation reads INTERRUPTED, the layout is consistent and a new stage works', async (point, method) => {
    await stopDaemon();
    await start({ WOFLEET_KILL_AT: point });
    const target = repackRelease(WP645, (dir) => injectFatal(dir), { into: mirror });
    let request: Record<string, unknown> & { operationId: string };
    if (method === 'StageRelease') {
      request = {
        operationId: `crash-${point.replace(/:/g, '-')}`,
        source: target.file,
        digest: { algorithm: 'sha256', hex: target.sha256 },
      };
    } else {
      request = { operationId: `crash-${point.replace(/:/g, '-')}`, releaseId: release655, skipCanary: true };
    }
    await mutate(method, request).catch(() => undefined);
    const exit = await daemon.exited;
    expect(exit.signal).toBe('SIGKILL');
    await start();
    const op = await call<object, Op>(client, 'GetOperation', { operationId: request.operationId });
    expect(op.state).toBe('OPERATION_STATE_INTERRUPTED');
    const current = readlinkSync(path.join(stack.sharedRoot, 'current'));
    expect(existsSync(path.join(stack.sharedRoot, current, '.wofleet-release.json'))).toBe(true);
    expect(readdirSync(path.join(stack.sharedRoot, 'releases', '.staging')).length).toBe(0);
    for (const domain of ['a.test', 'b.test']) expect((await stack.request(domain, '/')).status).toBe(200);
    const again = await finish('StageRelease', {
      operationId: `after-${request.operationId}`,
      source: target.file,
      digest: { algorithm: 'sha256', hex: target.sha256 },
    });
    expect(again.state, again.error).toBe('OPERATION_STATE_SUCCEEDED');
  });

  it('delivers events raised while NATS is down after it returns, in order', async () => {
    await nats.stop();
    // current is 6.5.5 with DBs still at 56657 (the kill above came right after the switch).
    const upgraded = await finish('UpgradeDb', { operationId: 'upgrade-outage' });
    expect(upgraded.state, upgraded.error).toBe('OPERATION_STATE_SUCCEEDED');
    const harmless = repackRelease(WP655, (dir) => writeFileSync(path.join(dir, 'wofleet-build.txt'), 'rebuilt\n'), { into: mirror });
    const staged = await finish('StageRelease', {
      operationId: 'stage-outage',
      source: harmless.file,
      digest: { algorithm: 'sha256', hex: harmless.sha256 },
    });
    expect(staged.state, staged.error).toBe('OPERATION_STATE_SUCCEEDED');
    const releaseId = staged.stageRelease?.release.id ?? '';
    const activated = await finish('Activate', { operationId: 'activate-outage', releaseId, skipCanary: true });
    expect(activated.state, activated.error).toBe('OPERATION_STATE_SUCCEEDED');
    await nats.restart();
    await nc.close().catch(() => undefined);
    nc = await connect({ servers: nats.url });
    const consumer = await nc.jetstream().consumers.get('WOFLEET_EVENTS');
    const seen: { type: string; id: string }[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && !seen.some((e) => e.type === 'switched' && JSON.stringify(e).includes(releaseId))) {
      const batch = await consumer.fetch({ max_messages: 200, expires: 2_000 });
      for await (const m of batch) seen.push(m.json());
    }
    const ids = seen.map((e) => e.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const ours = seen.map((e) => e.type).filter((t) => ['db-upgraded', 'staged', 'switched'].includes(t));
    // UpgradeDb upgrades b.test (on current); the canary site a.test was still on the old core
    // and is upgraded by the activation, after its switch.
    expect(ours.slice(-4)).toEqual(['db-upgraded', 'staged', 'switched', 'db-upgraded']);
  });

  it('SIGTERM lets an in-flight switch finish, refuses new work and exits 0', async () => {
    const running = await mutate('Activate', { operationId: 'activate-sigterm', releaseId: release655, canarySite: 'a.test' });
    expect(running.state).toMatch(/RUNNING|PENDING/);
    daemon.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    const refused = (await mutate('Prune', { operationId: 'prune-after-sigterm' }).catch((e: unknown) => e)) as ServiceError;
    expect([status.UNAVAILABLE, status.CANCELLED]).toContain(refused.code);
    const exit = await daemon.exited;
    expect(exit.code, daemon.output().slice(-2000)).toBe(0);
    await start();
    const op = await call<object, Op>(client, 'GetOperation', { operationId: 'activate-sigterm' });
    expect(op.state, op.error).toMatch(/SUCCEEDED|FAILED/);
    expect(op.state).not.toBe('OPERATION_STATE_INTERRUPTED');
  });
});
