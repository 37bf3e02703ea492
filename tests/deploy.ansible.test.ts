/**
 * Fleet install (issue 15, item 3): deploy/ansible's wofleet_agent role on two servers,
 * and deploy/install.sh on one server each with the tarball and with the .deb, against
 * bare real-WordOps servers (no node, no checkout, no agent config) booted by their own
 * systemd (systemd-nspawn --boot, tests/support/realwo.ts). ~4 min at load 20 on 2 cores:
 * building the packages and booting the servers take half of it.
 *
 * - Packages: the agent .deb and tarball that `pnpm package --fast` builds from this
 *   checkout (tests/support/realwo-packages.ts).
 * - Connection: Ansible's chroot connection, whose chroot_exe enters each server's own
 *   namespaces and root (tests/support/ansible.ts): modules run in the server's network
 *   and PID namespace, `systemctl` talks to the server's systemd, as over ssh.
 * - Units: the role's `systemd` tasks and install.sh's `systemctl` start the packaged
 *   wofleet-agent.service under that systemd, nothing started by the test.
 * - Controller: the workspace's built controller and a nats-server on the host
 *   (tests/support/fleet.ts); the `wofleet` CLI there is the play's controller host
 *   (local connection). The controller's own .deb is the bare-server test's subject.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, WP645 } from './support/agent.js';
import { ANSIBLE_DIR, chrootConnection, failuresOf, runPlaybook, type PlayRun } from './support/ansible.js';
import { CONTROLLER_CLI, startControlPlane, type ControlPlane } from './support/fleet.js';
import { buildDebs, dpkgStatus, unitStatus, waitUntil, type Debs } from './support/realwo-packages.js';
import { cleanStaleServers, startBareSystemdServers, type RealWoServer } from './support/realwo.js';
import { Teardown } from './support/teardown.js';

interface ServerJson {
  name: string;
  state: string;
  certificateFingerprint: string;
}

const VERSION = '0.2.0';
const SERVERS = ['ans-a', 'ans-b'];
const INSTALL_SH_SERVERS = ['ans-c', 'ans-d'] as const;
const NATS_AUTH = { user: 'wofleet', pass: 'ansible-test-pass' };
const TOKEN_TASK = 'Ask the controller for a one-time enrollment token';

const teardown = new Teardown();
let tmp: string;
let debs: Debs;
let agentTarball: string;
let plane: ControlPlane;
let servers: RealWoServer[];
let installShServers: RealWoServer[];

async function serversAtController(): Promise<ServerJson[]> {
  return plane.wofleetJson<ServerJson[]>(['servers', 'list']);
}

function serverNamed(name: string): RealWoServer {
  const server = installShServers.find((s) => s.name === name);
  if (!server) throw new Error(`no server ${name}`);
  return server;
}

/** `wofleet-agent init` on the server with the 6.4.5 fixture (and its .sha256) copied in. */
async function initSharedCore(server: RealWoServer): Promise<void> {
  for (const file of [WP645, `${WP645}.sha256`]) await copyFile(file, server.file(`/root/${path.basename(file)}`));
  const r = await server.exec(['wofleet-agent', 'init', '--release', `/root/${path.basename(WP645)}`]);
  if (r.exitCode !== 0) throw new Error(`${server.name}: wofleet-agent init exited ${r.exitCode}:\n${r.stderr}${r.stdout}`);
}

/** `servers list` once every one of `names` is online there (heartbeats through NATS). */
function waitOnline(names: readonly string[]): Promise<ServerJson[]> {
  return waitUntil(
    `${names.join(', ')} online at the controller`,
    async () => {
      const listed = await serversAtController();
      return names.every((name) => listed.find((s) => s.name === name)?.state === 'online') ? listed : undefined;
    },
    60_000,
  );
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'wofleet-ansible-'));
  await cleanStaleServers();
  const out = path.join(tmp, 'packages');
  // The servers boot (one at a time) while the packages are built.
  const bootServers = () =>
    startBareSystemdServers([...SERVERS, ...INSTALL_SH_SERVERS], (starting) => teardown.adopt(starting, (s) => s.stop()));
  const [built, all] = await Promise.all([buildDebs(VERSION, out), bootServers()]);
  debs = built;
  agentTarball = path.join(out, `wofleet-agent-${VERSION}-linux-x64.tar.gz`);
  servers = all.slice(0, SERVERS.length);
  installShServers = all.slice(SERVERS.length);
  plane = await teardown.adopt(
    startControlPlane({
      listenHost: '0.0.0.0',
      agentFacingIps: all.map((s) => s.hostAddress),
      natsAuth: NATS_AUTH,
      heartbeatSeconds: 2,
    }),
    (p) => p.destroy(),
  );
});

afterAll(async () => {
  await teardown.run();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('deploy/ansible: the wofleet_agent role on two servers', () => {
  let inventory: string;
  let first: PlayRun;

  beforeAll(async () => {
    const hosts: Record<string, Record<string, unknown>> = {};
    for (const server of servers) {
      hosts[server.name] = {
        ...(await chrootConnection(server, tmp)),
        wofleet_agent_grpc_address: `${server.address}:7443`,
        // Each server reaches the host (controller, NATS) at its own veth's host end.
        wofleet_controller_address: `${server.hostAddress}:${plane.controller.port}`,
        wofleet_agent_nats: { servers: [`nats://${server.hostAddress}:${plane.nats.port}`], ...NATS_AUTH, heartbeatSeconds: 2 },
      };
    }
    inventory = path.join(tmp, 'inventory.json');
    await writeFile(
      inventory,
      JSON.stringify({
        all: {
          vars: { wofleet_agent_deb: debs.agent, wofleet_agent_labels: { installed: 'ansible' } },
          children: {
            wofleet_controller: {
              hosts: {
                operator: {
                  ansible_connection: 'local',
                  wofleet_cli: [process.execPath, CONTROLLER_CLI],
                  wofleet_cli_environment: { HOME: plane.home },
                },
              },
            },
            wofleet_agents: { hosts },
          },
        },
      }),
    );
    first = await runPlaybook(path.join(ANSIBLE_DIR, 'playbook.yml'), inventory, { tmpDir: tmp });
  });

  it('installs the package, enrolls each server and starts its unit: online at the controller, reachable through it', async () => {
    expect(failuresOf(first)).toEqual([]);
    for (const server of servers) {
      expect(first.stats[server.name]?.changed, server.name).toBeGreaterThan(0);
      const unit = await unitStatus(server, 'wofleet-agent');
      expect({ active: unit.active, enabled: unit.enabled }, server.name).toEqual({ active: 'active', enabled: 'enabled' });
      expect(await dpkgStatus(server, 'wofleet-agent'), server.name).toEqual({ status: 'ii', version: VERSION });
    }
    const listed = await waitOnline(SERVERS);
    expect(listed.map((s) => s.name).sort()).toEqual(SERVERS);
    // The operator's next step on a new server, then a call the controller makes to its
    // agent now (mutual TLS to the agent's gRPC endpoint; GetStatus needs an initialised agent).
    await Promise.all(servers.map((server) => initSharedCore(server)));
    for (const name of SERVERS) {
      const shown = await plane.wofleet(['servers', 'show', name, '--live', '--json']);
      expect(shown.code, `${name}: ${shown.stderr}`).toBe(0);
      const live = JSON.parse(shown.stdout) as {
        status: { serverId: string; current: { version: string } | null };
        liveError: string | null;
      };
      expect(live.liveError, name).toBeNull();
      expect({ serverId: live.status.serverId, version: live.status.current?.version }).toEqual({ serverId: name, version: '6.4.5' });
    }
  });

  it('a second run changes nothing and asks the controller for no token', async () => {
    const before = await serversAtController();
    const second = await runPlaybook(path.join(ANSIBLE_DIR, 'playbook.yml'), inventory, { tmpDir: tmp });
    expect(failuresOf(second)).toEqual([]);
    for (const name of SERVERS) {
      expect(second.stats[name]?.changed, `${name} changed`).toBe(0);
      const tokenTask = second.tasks.find((t) => t.name.endsWith(TOKEN_TASK));
      expect(tokenTask?.hosts[name]?.skipped, `${name}: ${TOKEN_TASK}`).toBe(true);
    }
    const after = await serversAtController();
    // Same certificates: no server enrolled again.
    expect(after.map((s) => [s.name, s.certificateFingerprint])).toEqual(before.map((s) => [s.name, s.certificateFingerprint]));
  });
});

// One server per artifact install.sh takes; the unit comes from the .deb, or for the
// tarball from deploy/systemd/ beside install.sh (copied in as an operator would).
describe.each([
  { name: INSTALL_SH_SERVERS[0], flag: '--tarball', artifact: () => agentTarball },
  { name: INSTALL_SH_SERVERS[1], flag: '--deb', artifact: () => debs.agent },
])('deploy/install.sh $flag on one server', ({ name, flag, artifact }) => {
  const server = () => serverNamed(name);
  const install = () =>
    server().exec(
      [
        'bash',
        '/root/deploy/install.sh',
        flag,
        `/root/${path.basename(artifact())}`,
        '--server-id',
        name,
        '--controller',
        `${server().hostAddress}:${plane.controller.port}`,
        '--ca-fingerprint',
        plane.caFingerprint,
        '--nats',
        `nats://${server().hostAddress}:${plane.nats.port}`,
        '--nats-user',
        NATS_AUTH.user,
        '--nats-pass-file',
        '/root/nats.pass',
        '--token-file',
        '/root/enrollment.token',
      ],
      { timeoutMs: 120_000 },
    );

  beforeAll(async () => {
    const token = await plane.addServer(name, `${server().address}:7443`);
    const root = server().file('/root');
    await mkdir(path.join(root, 'deploy/systemd'), { recursive: true });
    await copyFile(path.join(REPO_ROOT, 'deploy/install.sh'), path.join(root, 'deploy/install.sh'));
    await copyFile(path.join(REPO_ROOT, 'deploy/systemd/wofleet-agent.service'), path.join(root, 'deploy/systemd/wofleet-agent.service'));
    await copyFile(artifact(), path.join(root, path.basename(artifact())));
    await writeFile(path.join(root, 'enrollment.token'), `${token}\n`, { mode: 0o600 });
    await writeFile(path.join(root, 'nats.pass'), `${NATS_AUTH.pass}\n`, { mode: 0o600 });
  });

  it('installs it, writes the config, enrolls with the token and starts the unit', async () => {
    const r = await install();
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`enrolling ${name}`);
    const unit = await unitStatus(server(), 'wofleet-agent');
    expect({ active: unit.active, enabled: unit.enabled }).toEqual({ active: 'active', enabled: 'enabled' });
    expect(await readFile(server().file('/etc/wofleet/agent.yaml'), 'utf8')).toContain(`serverId: ${name}`);
    await waitOnline([name]);
  });

  it('run again, changes nothing (the agent not even restarted) and needs no token', async () => {
    const before = (await serversAtController()).find((s) => s.name === name);
    const unitBefore = await unitStatus(server(), 'wofleet-agent');
    await rm(server().file('/root/enrollment.token'));
    const r = await install();
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('already enrolled');
    expect(r.stdout).toContain('/etc/wofleet/agent.yaml unchanged');
    expect((await unitStatus(server(), 'wofleet-agent')).invocation).toBe(unitBefore.invocation);
    expect((await serversAtController()).find((s) => s.name === name)?.certificateFingerprint).toBe(before?.certificateFingerprint);
  });
});

describe('deploy/install.sh usage', () => {
  it('refuses a mistake with one line and exit 2', async () => {
    const r = await execa('bash', [path.join(REPO_ROOT, 'deploy/install.sh'), '--deb', debs.agent], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('install.sh: --controller HOST:PORT is required: where this agent reaches the controller (see --help)');
  });
});
