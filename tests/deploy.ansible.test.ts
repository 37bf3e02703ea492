/**
 * Fleet install (issue 15, item 3): deploy/ansible's wofleet_agent role, and
 * deploy/install.sh, against bare real-WordOps servers (no node, no checkout, no agent
 * config) booted by their own systemd (systemd-nspawn --boot, tests/support/realwo.ts).
 *
 * - Packages: the agent .deb and tarball that `pnpm package --fast` builds from this
 *   checkout (tests/support/packages.ts).
 * - Connection: Ansible's chroot connection, whose chroot_exe enters each server's own
 *   namespaces and root (tests/support/ansible.ts): modules run in the server's network
 *   and PID namespace, `systemctl` talks to the server's systemd, as over ssh.
 * - Units: the role's `systemd` tasks and install.sh's `systemctl` start the packaged
 *   wofleet-agent.service under that systemd, nothing started by the test.
 * - Controller: the workspace's built controller and a nats-server on the host
 *   (tests/support/fleet.ts); the `wofleet` CLI there is the play's controller host
 *   (local connection). The controller's own .deb is the bare-server test's subject.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/agent.js';
import { ANSIBLE_DIR, chrootConnection, failuresOf, runPlaybook, type PlayRun } from './support/ansible.js';
import { CONTROLLER_CLI, startControlPlane, type ControlPlane } from './support/fleet.js';
import { buildPackages, type Packages } from './support/packages.js';
import { cleanStaleServers, startRealWoServer, type RealWoServer } from './support/realwo.js';
import { Teardown } from './support/teardown.js';

interface ServerJson {
  name: string;
  state: string;
  certificateFingerprint: string;
}

const SERVERS = ['ans-a', 'ans-b'];
const INSTALL_SH_SERVER = 'ans-c';
const NATS_AUTH = { user: 'wofleet', pass: 'ansible-test-pass' };
const TOKEN_TASK = 'Ask the controller for a one-time enrollment token';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
// The CLI's JSON names states SERVER_STATE_ONLINE or, with the friendly names, online.
const isOnline = (state: string) => /^(SERVER_STATE_)?ONLINE$/i.test(state);

const teardown = new Teardown();
let tmp: string;
let packages: Packages;
let plane: ControlPlane;
let servers: RealWoServer[];
let installShServer: RealWoServer;

async function serversAtController(): Promise<ServerJson[]> {
  return plane.wofleetJson<ServerJson[]>(['servers', 'list']);
}

async function waitOnline(names: readonly string[]): Promise<ServerJson[]> {
  for (const deadline = Date.now() + 60_000; ; await sleep(500)) {
    const listed = await serversAtController();
    const online = names.every((name) => isOnline(listed.find((s) => s.name === name)?.state ?? ''));
    if (online) return listed;
    if (Date.now() > deadline) throw new Error(`not all of ${names.join(', ')} online within 60 s: ${JSON.stringify(listed)}`);
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'wofleet-ansible-'));
  await cleanStaleServers();
  const started = Promise.all(
    [...SERVERS, INSTALL_SH_SERVER].map((name) =>
      teardown.adopt(startRealWoServer({ name, bare: true, systemd: true }), (s) => s.stop()),
    ),
  );
  packages = await buildPackages(path.join(tmp, 'packages'));
  const all = await started;
  servers = all.slice(0, SERVERS.length);
  installShServer = all[SERVERS.length] as RealWoServer;
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
          vars: { wofleet_agent_deb: packages.agentDeb, wofleet_agent_labels: { installed: 'ansible' } },
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
      const unit = await server.exec(['systemctl', 'is-enabled', 'wofleet-agent']);
      expect(unit.stdout.trim(), `${server.name}: is-enabled`).toBe('enabled');
      const active = await server.exec(['systemctl', 'is-active', 'wofleet-agent']);
      expect(active.stdout.trim(), `${server.name}: is-active`).toBe('active');
      expect((await server.exec(['dpkg-query', '-W', '-f', '${Status}', 'wofleet-agent'])).stdout).toBe('install ok installed');
    }
    const listed = await waitOnline(SERVERS);
    expect(listed.map((s) => s.name).sort()).toEqual(SERVERS);
    // A call the controller makes to each agent now (mutual TLS to its gRPC endpoint).
    for (const name of SERVERS) {
      const shown = await plane.wofleet(['servers', 'show', name, '--live', '--json']);
      expect(shown.code, `${name}: ${shown.stderr}`).toBe(0);
      expect((JSON.parse(shown.stdout) as { liveError: string | null }).liveError).toBeNull();
    }
    const sites = await plane.wofleet(['sites', 'list', '--json']);
    expect(sites.code, sites.stderr).toBe(0);
  });

  it('a second run changes nothing and asks the controller for no token', async () => {
    const before = await serversAtController();
    const second = await runPlaybook(path.join(ANSIBLE_DIR, 'playbook.yml'), inventory, { tmpDir: tmp });
    expect(failuresOf(second)).toEqual([]);
    for (const name of SERVERS) {
      expect(second.stats[name]?.changed, `${name} changed`).toBe(0);
      expect(second.tasks.find((t) => t.name === TOKEN_TASK)?.hosts[name]?.skipped, `${name}: token task`).toBe(true);
    }
    const after = await serversAtController();
    // Same certificates: no server enrolled again.
    expect(after.map((s) => [s.name, s.certificateFingerprint])).toEqual(before.map((s) => [s.name, s.certificateFingerprint]));
  });
});

describe('deploy/install.sh on one server', () => {
  const name = INSTALL_SH_SERVER;
  const install = () =>
    installShServer.exec(
      [
        'bash',
        '/root/deploy/install.sh',
        '--tarball',
        `/root/${path.basename(packages.agentTarball)}`,
        '--server-id',
        name,
        '--controller',
        `${installShServer.hostAddress}:${plane.controller.port}`,
        '--ca-fingerprint',
        plane.caFingerprint,
        '--nats',
        `nats://${installShServer.hostAddress}:${plane.nats.port}`,
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
    const token = await plane.addServer(name, `${installShServer.address}:7443`);
    const root = installShServer.file('/root');
    await execa('mkdir', ['-p', path.join(root, 'deploy/systemd')]);
    await execa('cp', [path.join(REPO_ROOT, 'deploy/install.sh'), path.join(root, 'deploy/install.sh')]);
    await execa('cp', [path.join(REPO_ROOT, 'deploy/systemd/wofleet-agent.service'), path.join(root, 'deploy/systemd/')]);
    await execa('cp', [packages.agentTarball, root]);
    await writeFile(path.join(root, 'enrollment.token'), `${token}\n`, { mode: 0o600 });
    await writeFile(path.join(root, 'nats.pass'), `${NATS_AUTH.pass}\n`, { mode: 0o600 });
  });

  it('installs the tarball, writes the config, enrolls with the token and starts the unit', async () => {
    const r = await install();
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain(`enrolling ${name}`);
    expect((await installShServer.exec(['systemctl', 'is-active', 'wofleet-agent'])).stdout.trim()).toBe('active');
    expect(await readFile(installShServer.file('/etc/wofleet/agent.yaml'), 'utf8')).toContain(`serverId: ${name}`);
    await waitOnline([name]);
  });

  it('run again, changes nothing and needs no token', async () => {
    const before = (await serversAtController()).find((s) => s.name === name);
    await rm(installShServer.file('/root/enrollment.token'));
    const r = await install();
    expect(r.exitCode, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('already enrolled');
    expect(r.stdout).toContain('/etc/wofleet/agent.yaml unchanged');
    expect((await serversAtController()).find((s) => s.name === name)?.certificateFingerprint).toBe(before?.certificateFingerprint);
  });

  it('refuses a usage mistake with one line and exit 2', async () => {
    const r = await execa('bash', [path.join(REPO_ROOT, 'deploy/install.sh'), '--deb', packages.agentDeb], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe('install.sh: --controller HOST:PORT is required: where this agent reaches the controller (see --help)');
  });
});
