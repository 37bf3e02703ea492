/**
 * wofleet installed the way an operator installs it: from its .deb packages, on bare
 * real-WordOps servers (tests/support/realwo.ts `bare`: WordOps and its stack, no Node,
 * nothing of this checkout), each booted by its own systemd (`systemd-nspawn --boot`:
 * real systemctl, real units, the packages' maintainer scripts run as on Debian). Three
 * servers on a LAN (tests/support/realwo-lan.ts): wo-ctl runs wofleet-controller (PGlite
 * in its data dir), wo-a and wo-b run wofleet-agent; nats-server runs on the host,
 * reached through each server's veth.
 *
 * Version 0.2.0 is installed, configured through its files (/etc/wofleet/controller.env,
 * /etc/wofleet/agent.yaml), enrolled, and a campaign to 6.5.5 (the fixture) succeeds.
 * A second campaign (to a 6.5.6 repacked from it) is held after its canary; while it is
 * held the controller is upgraded to 0.2.1 with dpkg -i, whose postinst restarts it; the
 * servers stay enrolled and online, the campaign is still where it was, is promoted and
 * succeeds. Then the agents are upgraded the fleet's way, `wofleet agents upgrade` (a
 * campaign: canary first, waves, health gate, rollback; each agent runs dpkg -i of the
 * package the controller streams it, detached through systemd-run): first to a package
 * whose agent fails the health gate, which puts the canary back on its old package and
 * leaves the other server alone, then to 0.2.1 on both. Then dpkg -r keeps the data and
 * the conffiles, and --purge removes them.
 *
 * The packages are built once per run from the built workspace (deploy/package/build.ts:
 * `pnpm package` without its `pnpm build`, which the e2e tier already requires); the
 * host never gets them installed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WP645, WP655 } from './support/agent.js';
import { startNatsServer, type NatsServer } from './support/nats-server.js';
import { connectRealWoLan, type RealWoLan } from './support/realwo-lan.js';
import {
  buildDebs,
  dpkgInstall,
  dpkgStatus,
  execOk,
  relabelDeb,
  unitJournal,
  unitStatus,
  waitUntil,
  type Debs,
} from './support/realwo-packages.js';
import { cleanStaleServers, startBareSystemdServers, type RealWoServer } from './support/realwo.js';
import { copyIntoMirror, generatorVersion, repackRelease } from './support/releases.js';
import { Teardown } from './support/teardown.js';

const OLD = '0.2.0';
const NEW = '0.2.1';
/** 0.2.1's agent in a package that says 0.2.2: the agent comes up reporting 0.2.1, and fails the upgrade's health gate. */
const MISLABELLED = '0.2.2';
const AGENTS = ['wo-a', 'wo-b'] as const;
const MIRROR = '/srv/wordpress-releases';
const CONTROLLER_PORT = 7444;
const AGENT_PORT = 7443;
const DATA_DIR = '/var/lib/wofleet-controller';
const CONTROLLER_ENV = '/etc/wofleet/controller.env';
const AGENT_CONFIG = '/etc/wofleet/agent.yaml';
const NATS = { user: 'wofleet', pass: randomBytes(18).toString('base64url') };

interface CampaignView {
  id: string;
  state: string;
  reason?: string;
  targets: { server: string; state: string; reason?: string }[];
}

/** A line of `--watch --json`. */
interface CampaignUpdate {
  event: { at: string; scope: string; server?: string; state: string } | null;
  campaign: CampaignView;
}

describe('wofleet from its .deb packages on bare real-WordOps servers, upgraded in the middle of a campaign', () => {
  const teardown = new Teardown();
  let oldDebs: Debs;
  /** Built while the first steps run: only the upgrade needs it. */
  let newDebs: Promise<Debs>;
  let mislabelled: Promise<string>;
  let ctl: RealWoServer;
  const agents = new Map<string, RealWoServer>();
  let lan: RealWoLan;
  let nats: NatsServer;
  let caFingerprint: string;
  let wp656: { file: string; sha256: string };

  const agent = (name: string): RealWoServer => {
    const server = agents.get(name);
    if (!server) throw new Error(`no server ${name}`);
    return server;
  };
  /** The operator's CLI on the controller's server, as root with its operator certificate. */
  const wofleet = (args: readonly string[]) => ctl.exec(['wofleet', ...args]);
  const wofleetJson = async <T>(args: readonly string[]): Promise<T> =>
    JSON.parse((await execOk(ctl, ['wofleet', ...args, '--json'])).stdout) as T;
  const serving = async (name: string) => generatorVersion((await agent(name).http(`a.${name}.test`, '/')).body);
  const servers = () => wofleetJson<{ name: string; state: string; agentVersion: string }[]>(['servers', 'list']);
  const online = (state: string) => state === 'online';

  async function campaignReaches(id: string, states: readonly string[]): Promise<CampaignView> {
    let view: CampaignView | undefined;
    await waitUntil(
      () => `campaign ${id} to reach ${states.join(' or ')} (last: ${JSON.stringify(view)})`,
      async () => {
        view = await wofleetJson<CampaignView>(['rollout', 'status', id]);
        return states.includes(view.state) || ['failed', 'aborted'].includes(view.state) ? view : undefined;
      },
      240_000,
    );
    if (!view || !states.includes(view.state)) throw new Error(`campaign ${id} ended ${JSON.stringify(view)}`);
    return view;
  }

  beforeAll(async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'wofleet-debs-'));
    teardown.adopt(Promise.resolve(out), (dir) => rm(dir, { recursive: true, force: true }));
    await cleanStaleServers();
    const started = Date.now();
    const build = (version: string) =>
      buildDebs(version, path.join(out, version)).then((built) => {
        console.log(`package.bare-server: .debs ${version} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
        return built;
      });
    const builtOld = build(OLD);
    // Awaited below, after the servers: a failure seen before then must not go unhandled.
    builtOld.catch(() => undefined);
    const booted = startBareSystemdServers(['wo-ctl', ...AGENTS], (starting) => teardown.adopt(starting, (s) => s.stop()));
    nats = await teardown.adopt(startNatsServer({ host: '0.0.0.0', args: ['--user', NATS.user, '--pass', NATS.pass] }), (n) => n.dispose());
    const [first, ...rest] = await booted;
    if (!first) throw new Error('no controller server');
    ctl = first;
    for (const s of rest) agents.set(s.name, s);
    lan = await teardown.adopt(connectRealWoLan([ctl, ...rest]), (l) => l.destroy());
    wp656 = repackRelease(
      WP655,
      (dir) => {
        const file = path.join(dir, 'wp-includes/version.php');
        writeFileSync(file, readFileSync(file, 'utf8').replace("$wp_version = '6.5.5'", "$wp_version = '6.5.6'"));
      },
      { into: out },
    );
    oldDebs = await builtOld;
    newDebs = build(NEW);
    mislabelled = newDebs.then((debs) => relabelDeb(debs.agent, MISLABELLED, out));
    // Awaited by the upgrades, likewise.
    mislabelled.catch(() => undefined);
  });
  afterAll(async () => {
    await teardown.run();
  });

  it('the servers are bare: WordOps, and no node', async () => {
    for (const server of [ctl, ...agents.values()]) {
      expect((await server.sh('command -v node')).exitCode, server.name).not.toBe(0);
      expect((await server.sh('command -v wo')).stdout, server.name).toBe('/usr/local/bin/wo\n');
    }
  });

  /** `wofleet agents packages add` of a .deb copied onto the controller's server. */
  async function addAgentPackage(deb: string, version: string): Promise<void> {
    const inside = path.join('/root/packages', path.basename(deb));
    await mkdir(path.dirname(ctl.file(inside)), { recursive: true });
    await copyFile(deb, ctl.file(inside));
    const added = await wofleetJson<{ version: string }>(['agents', 'packages', 'add', inside]);
    expect(added.version).toBe(version);
  }

  async function addAgentPackages(): Promise<void> {
    const started = Date.now();
    await addAgentPackage(oldDebs.agent, OLD);
    await addAgentPackage(await mislabelled, MISLABELLED);
    await addAgentPackage((await newDebs).agent, NEW);
    console.log(`package.bare-server: 3 agent packages added in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }

  /** dpkg -i, checked not to start anything, then configured through its files and started. */
  async function installController(): Promise<void> {
    await dpkgInstall(ctl, oldDebs.controller);
    expect(await dpkgStatus(ctl, 'wofleet-controller')).toEqual({ status: 'ii', version: OLD });
    expect(await unitStatus(ctl, 'wofleet-controller')).toMatchObject({ active: 'inactive', enabled: 'disabled' });
    expect((await execOk(ctl, ['stat', '-c', '%U:%G %a', DATA_DIR, CONTROLLER_ENV])).stdout).toBe(
      'wofleet:wofleet 750\nroot:wofleet 640\n',
    );

    // The operator's configuration: settings appended to the packaged skeleton.
    const settings = [
      `WOFLEET_LISTEN=0.0.0.0:${CONTROLLER_PORT}`,
      `WOFLEET_NATS_URL=nats://${ctl.hostAddress}:${nats.port}`,
      `WOFLEET_NATS_USER=${NATS.user}`,
      `WOFLEET_NATS_PASS=${NATS.pass}`,
      'WOFLEET_HEARTBEAT_SECONDS=2',
    ];
    await writeFile(ctl.file(CONTROLLER_ENV), `${await readFile(ctl.file(CONTROLLER_ENV), 'utf8')}${settings.join('\n')}\n`);
    const init = await execOk(ctl, [
      'runuser',
      '-u',
      'wofleet',
      '--',
      'wofleet',
      'ca',
      'init',
      '--data-dir',
      DATA_DIR,
      '--ip',
      '127.0.0.1',
      '--ip',
      lan.address(ctl),
      '--json',
    ]);
    caFingerprint = (JSON.parse(init.stdout) as { caFingerprint: string }).caFingerprint;
    await execOk(ctl, [
      'wofleet',
      'ca',
      'issue-operator',
      '--data-dir',
      DATA_DIR,
      '--name',
      'root',
      '--out',
      '/root/.config/wofleet/operator',
    ]);
    await writeFile(
      ctl.file('/root/.config/wofleet/config.yaml'),
      `controller: 127.0.0.1:${CONTROLLER_PORT}\nca: /root/.config/wofleet/operator/ca.pem\ncert: /root/.config/wofleet/operator/root.pem\nkey: /root/.config/wofleet/operator/root.key\n`,
    );

    await execOk(ctl, ['systemctl', 'enable', '--now', 'wofleet-controller']);
    await waitUntil(
      'the controller to answer',
      async () => ((await wofleet(['servers', 'list'])).exitCode === 0 ? true : undefined),
      60_000,
    );
    expect(await unitStatus(ctl, 'wofleet-controller')).toMatchObject({ active: 'active', enabled: 'enabled', user: 'wofleet' });
    expect(await servers()).toEqual([]);
  }

  /** dpkg -i, checked not to start anything; agent.yaml written, the shared core initialised, a site made by the real wo. */
  async function installAgent(name: string): Promise<void> {
    const server = agent(name);
    await dpkgInstall(server, oldDebs.agent);
    expect(await unitStatus(server, 'wofleet-agent')).toMatchObject({ active: 'inactive', enabled: 'disabled' });
    for (const archive of [WP645, WP655, wp656.file]) copyIntoMirror(server.file(MIRROR), archive);
    const config = {
      serverId: name,
      releases: { mirrorDir: MIRROR },
      grpc: {
        listen: `${lan.address(server)}:${AGENT_PORT}`,
        caFile: '/etc/wofleet/tls/ca.pem',
        certFile: '/etc/wofleet/tls/agent.pem',
        keyFile: '/etc/wofleet/tls/agent.key',
      },
      nats: { servers: [`nats://${server.hostAddress}:${nats.port}`], ...NATS, heartbeatSeconds: 2 },
    };
    // YAML is a superset of JSON.
    await writeFile(server.file(AGENT_CONFIG), `${JSON.stringify(config, null, 2)}\n`);
    await execOk(server, ['wofleet-agent', 'init', '--release', `${MIRROR}/${path.basename(WP645)}`]);
    await execOk(server, ['wofleet-agent', 'create', `a.${name}.test`]);
    expect(await serving(name)).toBe('6.4.5');
  }

  /** A one-time token from the controller, `wofleet-agent enroll`, then the unit enabled and started. */
  async function enrollAgent(name: string): Promise<void> {
    const server = agent(name);
    const added = await wofleetJson<{ enrollmentToken: string }>([
      'servers',
      'add',
      name,
      '--address',
      `${lan.address(server)}:${AGENT_PORT}`,
      ...(name === 'wo-a' ? ['--canary'] : []),
    ]);
    await writeFile(server.file('/root/enrollment.token'), `${added.enrollmentToken}\n`, { mode: 0o600 });
    await execOk(server, [
      'wofleet-agent',
      'enroll',
      '--controller',
      `${lan.address(ctl)}:${CONTROLLER_PORT}`,
      '--token-file',
      '/root/enrollment.token',
      '--ca-fingerprint',
      caFingerprint,
    ]);
    await execOk(server, ['systemctl', 'enable', '--now', 'wofleet-agent']);
    await waitUntil(
      `${name}: agent serving`,
      async () => ((await unitJournal(server, 'wofleet-agent')).includes('agent serving') ? true : undefined),
      60_000,
    );
  }

  it('the packages install without starting their units; configured, the controller runs as its own user, the agents enroll and serve', async () => {
    await Promise.all([installController(), ...AGENTS.map(installAgent)]);
    await Promise.all(AGENTS.map(enrollAgent));
    await waitUntil(
      'both servers online',
      async () => {
        const list = await servers();
        return list.length === 2 && list.every((s) => online(s.state)) ? list : undefined;
      },
      60_000,
    );
  });

  it('a campaign to 6.5.5 succeeds on both servers', async () => {
    const sha1 = createHash('sha1')
      .update(await readFile(WP655))
      .digest('hex');
    await wofleetJson(['releases', 'add', '6.5.5', '--url', `file://${MIRROR}/${path.basename(WP655)}`, '--sha1', sha1]);
    const { id } = await wofleetJson<{ id: string }>(['rollout', 'start', '--release', '6.5.5', '--waves', '1,1', '--min-healthy', '5s']);
    const view = await campaignReaches(id, ['succeeded']);
    expect(Object.fromEntries(view.targets.map((t) => [t.server, t.state]))).toEqual({ 'wo-a': 'succeeded', 'wo-b': 'succeeded' });
    for (const name of AGENTS) expect(await serving(name), name).toBe('6.5.5');
  });

  it('held after its canary, a campaign survives upgrading the controller to 0.2.1 with dpkg -i, then finishes', async () => {
    await wofleetJson(['releases', 'add', '6.5.6', '--url', `file://${MIRROR}/${path.basename(wp656.file)}`, '--sha256', wp656.sha256]);
    const { id } = await wofleetJson<{ id: string }>([
      'rollout',
      'start',
      '--release',
      '6.5.6',
      '--waves',
      '1,1',
      '--min-healthy',
      '5s',
      '--pause-after-canary',
    ]);
    const held = await campaignReaches(id, ['awaiting-promotion']);
    const targetsHeld = Object.fromEntries(held.targets.map((t) => [t.server, t.state]));
    expect(targetsHeld['wo-a']).toBe('succeeded');
    expect(await serving('wo-a')).toBe('6.5.6');
    expect(await serving('wo-b')).toBe('6.5.5');

    const envBefore = await readFile(ctl.file(CONTROLLER_ENV), 'utf8');
    const controllerBefore = await unitStatus(ctl, 'wofleet-controller');
    const debs = await newDebs;
    const upgradeStarted = Date.now();
    await dpkgInstall(ctl, debs.controller);
    console.log(`package.bare-server: controller upgraded in ${((Date.now() - upgradeStarted) / 1000).toFixed(0)} s`);

    // Restarted by its postinst (a new invocation), still enabled, still as its own user.
    const controllerAfter = await unitStatus(ctl, 'wofleet-controller');
    expect(controllerAfter).toMatchObject({ active: 'active', enabled: 'enabled', user: 'wofleet' });
    expect(controllerAfter.invocation, 'the controller restarted by its postinst').not.toBe(controllerBefore.invocation);
    // The version the program runs: dpkg's, the unit restarted after it (above), and its own
    // `--version` (WOFLEET_VERSION, which the bundle gets from `pnpm package --version`).
    expect(await dpkgStatus(ctl, 'wofleet-controller')).toEqual({ status: 'ii', version: NEW });
    expect((await execOk(ctl, ['wofleet', '--version'])).stdout.trim()).toBe(`wofleet ${NEW}`);
    expect(await readFile(ctl.file(CONTROLLER_ENV), 'utf8'), 'controller.env kept').toBe(envBefore);

    await waitUntil(
      'the controller to answer after its upgrade',
      async () => ((await wofleet(['servers', 'list'])).exitCode === 0 ? true : undefined),
      60_000,
    );
    // The agents, still on 0.2.0, stay enrolled and online with the newer controller.
    const list = await waitUntil(
      'both servers online after the upgrade',
      async () => {
        const l = await servers();
        return l.length === 2 && l.every((s) => online(s.state) && s.agentVersion === OLD) ? l : undefined;
      },
      60_000,
    );
    expect(list.map((s) => s.name).sort()).toEqual([...AGENTS]);
    const after = await wofleetJson<CampaignView>(['rollout', 'status', id]);
    expect(after.state).toBe('awaiting-promotion');
    expect(Object.fromEntries(after.targets.map((t) => [t.server, t.state]))).toEqual(targetsHeld);

    await execOk(ctl, ['wofleet', 'rollout', 'promote', id]);
    const done = await campaignReaches(id, ['succeeded']);
    expect(Object.fromEntries(done.targets.map((t) => [t.server, t.state]))).toEqual({ 'wo-a': 'succeeded', 'wo-b': 'succeeded' });
    for (const name of AGENTS) expect(await serving(name), name).toBe('6.5.6');
  });

  /** `wofleet agents upgrade --to VERSION --watch --json`: its exit code and every update it printed. */
  async function upgradeAgents(version: string, flags: readonly string[]): Promise<{ exitCode: number; updates: CampaignUpdate[] }> {
    const started = Date.now();
    const r = await wofleet(['agents', 'upgrade', '--to', version, '--waves', '1,1', ...flags, '--watch', '--json']);
    if (r.stdout.trim() === '') throw new Error(`agents upgrade --to ${version} exited ${r.exitCode} printing nothing:\n${r.stderr}`);
    const updates = r.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as CampaignUpdate);
    const timeline = updates.flatMap(({ event }) =>
      event?.scope === 'target' ? [`${event.at.slice(11, 19)} ${event.server} ${event.state}`] : [],
    );
    const took = ((Date.now() - started) / 1000).toFixed(0);
    console.log(`package.bare-server: agents upgrade --to ${version} ended in ${took} s: ${timeline.join(', ')}`);
    return { exitCode: r.exitCode, updates };
  }

  /** Each agent's unit, its package and the version the controller has from it. */
  async function agentsNow(): Promise<Record<string, { invocation: string; active: string; dpkg: string; reports: string }>> {
    const reported = new Map((await servers()).map((s) => [s.name, s.agentVersion]));
    const now: Record<string, { invocation: string; active: string; dpkg: string; reports: string }> = {};
    for (const name of AGENTS) {
      const unit = await unitStatus(agent(name), 'wofleet-agent');
      const dpkg = await dpkgStatus(agent(name), 'wofleet-agent');
      now[name] = {
        invocation: unit.invocation,
        active: unit.active,
        dpkg: `${dpkg.status} ${dpkg.version}`,
        reports: reported.get(name) ?? '',
      };
    }
    return now;
  }

  it('agents upgrade to a package whose agent fails the health gate: the canary goes back to its package, the other server is left alone', async () => {
    // One after the other: an upload keeps the controller (its PGlite) busy.
    await addAgentPackages();
    const before = await agentsNow();

    const { exitCode, updates } = await upgradeAgents(MISLABELLED, ['--min-healthy', '3s', '--healthy-deadline', '30s']);
    const end = updates.at(-1)?.campaign;
    expect(exitCode, JSON.stringify(end)).toBe(1);
    expect(end?.state).toBe('failed');
    expect(end?.reason).toBe('the canary failed');
    expect(Object.fromEntries(end?.targets.map((t) => [t.server, t.state]) ?? [])).toEqual({ 'wo-a': 'rolled-back', 'wo-b': 'skipped' });
    expect(end?.targets.find((t) => t.server === 'wo-a')?.reason).toContain(`the agent reports wofleet-agent ${NEW}, not ${MISLABELLED}`);

    const after = await waitUntil(
      'wo-a back on its package and reported so',
      async () => {
        const now = await agentsNow();
        return now['wo-a']?.reports === OLD ? now : undefined;
      },
      30_000,
    );
    // Installed twice (the package, then its own again): restarted, on 0.2.0 by dpkg and by its own word.
    expect(after['wo-a']).toMatchObject({ active: 'active', dpkg: `ii ${OLD}`, reports: OLD });
    expect(after['wo-a']?.invocation).not.toBe(before['wo-a']?.invocation);
    expect((await execOk(agent('wo-a'), ['wofleet-agent', '--version'])).stdout.trim()).toBe(`wofleet-agent ${OLD}`);
    expect(after['wo-b'], 'wo-b untouched').toEqual(before['wo-b']);
    for (const name of AGENTS) expect(await serving(name), name).toBe('6.5.6');
  });

  it('agents upgrade --to 0.2.1: canary first, then the next wave, each agent restarted on the new package and held healthy', async () => {
    const configsBefore = await Promise.all(AGENTS.map((name) => readFile(agent(name).file(AGENT_CONFIG), 'utf8')));
    const before = await agentsNow();

    const { exitCode, updates } = await upgradeAgents(NEW, ['--min-healthy', '5s']);
    const end = updates.at(-1)?.campaign;
    expect(exitCode, JSON.stringify(end)).toBe(0);
    expect(end?.state).toBe('succeeded');
    expect(Object.fromEntries(end?.targets.map((t) => [t.server, t.state]) ?? [])).toEqual({ 'wo-a': 'succeeded', 'wo-b': 'succeeded' });
    // The canary was through its health gate before the second wave touched wo-b.
    const at = (server: string, state: string) => updates.findIndex((u) => u.event?.server === server && u.event.state === state);
    expect(at('wo-a', 'succeeded')).toBeGreaterThanOrEqual(0);
    // (Later waves stage ahead; the canary's gate holds their switch.)
    expect(at('wo-a', 'succeeded')).toBeLessThan(at('wo-b', 'switching'));

    const after = await agentsNow();
    for (const [i, name] of AGENTS.entries()) {
      expect(after[name], name).toMatchObject({ active: 'active', dpkg: `ii ${NEW}`, reports: NEW });
      expect(after[name]?.invocation, `${name}: the agent restarted on the new package`).not.toBe(before[name]?.invocation);
      expect((await unitStatus(agent(name), 'wofleet-agent')).enabled, name).toBe('enabled');
      expect((await execOk(agent(name), ['wofleet-agent', '--version'])).stdout.trim()).toBe(`wofleet-agent ${NEW}`);
      expect(await readFile(agent(name).file(AGENT_CONFIG), 'utf8'), `${name}: agent.yaml kept`).toBe(configsBefore[i]);
      // dpkg's own output, kept beside the package it installed.
      const log = await readFile(agent(name).file(`/var/lib/wofleet/packages/wofleet-agent_${NEW}.deb.install.log`), 'utf8');
      expect(log, name).toContain(`Setting up wofleet-agent (${NEW})`);
      expect(await serving(name), name).toBe('6.5.6');
    }
    const list = await servers();
    expect(list.map((s) => [s.name, s.state, s.agentVersion])).toEqual(AGENTS.map((name) => [name, 'online', NEW]));
  });

  it('dpkg -r stops the units and keeps data and conffiles; --purge removes them; the sites keep serving', async () => {
    const wob = agent('wo-b');
    await execOk(ctl, ['dpkg', '-r', 'wofleet-controller']);
    await execOk(wob, ['dpkg', '-r', 'wofleet-agent']);
    expect(await dpkgStatus(ctl, 'wofleet-controller')).toMatchObject({ status: 'rc' });
    expect(await dpkgStatus(wob, 'wofleet-agent')).toMatchObject({ status: 'rc' });
    expect((await unitStatus(ctl, 'wofleet-controller')).active).not.toBe('active');
    expect((await unitStatus(wob, 'wofleet-agent')).active).not.toBe('active');
    const kept = (server: RealWoServer, files: readonly string[]) => server.exec(['ls', '-d', ...files]);
    const controllerFiles = [`${DATA_DIR}/ca.pem`, `${DATA_DIR}/pglite`, CONTROLLER_ENV];
    const agentFiles = ['/var/lib/wofleet', AGENT_CONFIG, '/etc/wofleet/tls/agent.pem'];
    expect((await kept(ctl, controllerFiles)).exitCode).toBe(0);
    expect((await kept(wob, agentFiles)).exitCode).toBe(0);
    expect((await ctl.sh('command -v wofleet')).exitCode).not.toBe(0);
    expect((await wob.sh('command -v wofleet-agent')).exitCode).not.toBe(0);

    await execOk(ctl, ['dpkg', '--purge', 'wofleet-controller']);
    await execOk(wob, ['dpkg', '--purge', 'wofleet-agent']);
    expect((await dpkgStatus(ctl, 'wofleet-controller')).status).toMatch(/^(un|pn|absent)$/);
    for (const file of controllerFiles) expect((await ctl.exec(['test', '-e', file])).exitCode, file).not.toBe(0);
    for (const file of agentFiles) expect((await wob.exec(['test', '-e', file])).exitCode, file).not.toBe(0);
    // Sites are WordOps' and the operator's: removing the agent leaves them serving the core they run on.
    expect(await serving('wo-b')).toBe('6.5.6');
  });
});
