/**
 * `wo multitenancy` on the real WordOps 3.22 (../shared/realwo): what an operator who
 * thinks in WordOps sees. `wofleet-agent init --wo-plugin` installs the plugin, the real
 * `wo` loads it, lists its commands, runs the agent with its arguments and hands back the
 * agent's output and exit code; `init --no-wo-plugin` takes it out again and `wo` no
 * longer knows the command (and still works).
 *
 * The server is started by startRealWoServer() below, a stand-in with the API of the
 * shared real-WordOps harness (tests/support/realwo.ts, not on main yet): it should move
 * onto that harness when it lands.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CLI, FIXTURES, REPO_ROOT, WP645 } from './support/agent.js';
import { cleanEnv, runNodeProgram } from './support/cli.js';

const REALWO_DIR = process.env.REALWO_DIR ?? '/var/tmp/wofleet-realwo';
const RUN_WO = path.resolve(REPO_ROOT, '../shared/realwo/run-wo.sh');
const AGENT_CONFIG = '/etc/wofleet/agent.yaml';

interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

interface RealWoServer {
  /** The server's / as the host sees it. */
  root: string;
  sh(script: string): Promise<ExecResult>;
  wo(args: readonly string[]): Promise<ExecResult>;
  agent(args: readonly string[]): Promise<ExecResult>;
  file(insidePath: string): string;
  stop(): Promise<void>;
}

const quote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

/**
 * An overlayfs copy of the built chroot with the host's node, this checkout and the
 * fixtures bind-mounted read-only at their own paths; each call enters it through
 * run-wo.sh (fresh namespaces, WordOps' stack started and stopped: ~8 s a call).
 */
async function startRealWoServer(options: { name: string }): Promise<RealWoServer> {
  const base = path.join(REALWO_DIR, 'root');
  if (!existsSync(path.join(base, 'var/lib/wo/.provisioned'))) {
    throw new Error(`the real-WordOps chroot is not built in ${REALWO_DIR}: run bash ../shared/realwo/build.sh`);
  }
  const dir = path.join(REALWO_DIR, 'servers', `${options.name}-${process.pid}-0`);
  const root = path.join(dir, 'root');
  for (const d of ['upper', 'work', 'root']) await mkdir(path.join(dir, d), { recursive: true });
  const mounts: string[] = [];
  const stop = async () => {
    for (const m of [...mounts].reverse()) await execa('umount', [m], { reject: false });
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${base},upperdir=${dir}/upper,workdir=${dir}/work`, root]);
    mounts.push(root);
    const node = path.join(root, 'usr/local/bin/node');
    await writeFile(node, '');
    await execa('mount', ['--bind', process.execPath, node]);
    mounts.push(node);
    for (const hostDir of [REPO_ROOT, FIXTURES]) {
      const inside = path.join(root, hostDir);
      await mkdir(inside, { recursive: true });
      await execa('mount', ['--bind', hostDir, inside]);
      mounts.push(inside);
      await execa('mount', ['-o', 'remount,bind,ro', inside]);
    }
    await mkdir(path.join(root, 'etc/wofleet'), { recursive: true });
    await writeFile(path.join(root, AGENT_CONFIG), `${JSON.stringify({ serverId: options.name, probe: { address: '127.0.0.2:80' } })}\n`);
  } catch (err) {
    await stop();
    throw err;
  }
  const sh = async (script: string): Promise<ExecResult> => {
    const r = await execa('bash', [RUN_WO, '--sh', script], {
      env: { REALWO_DIR: dir },
      reject: false,
      stdin: 'ignore',
      stripFinalNewline: false,
    });
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  };
  return {
    root,
    sh,
    wo: (args) => sh(['wo', ...args].map(quote).join(' ')),
    agent: (args) => sh(['node', AGENT_CLI, '--config', AGENT_CONFIG, ...args].map(quote).join(' ')),
    file: (insidePath) => path.join(root, insidePath),
    stop,
  };
}

const PLUGIN_MODULE = '/var/lib/wo/plugins/multitenancy.py';
const PLUGIN_CONFIG = '/etc/wo/plugins.d/multitenancy.conf';

describe('wo multitenancy on real WordOps 3.22', () => {
  let server: RealWoServer;
  beforeAll(async () => {
    server = await startRealWoServer({ name: 'woplugin' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('wofleet-agent init --wo-plugin installs it where WordOps looks (wo.conf defaults)', async () => {
    const r = await server.agent(['init', '--release', WP645, '--wo-plugin']);

    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(`wo multitenancy: installed (${PLUGIN_MODULE}, ${PLUGIN_CONFIG})`);
    expect(existsSync(server.file(PLUGIN_MODULE)) && existsSync(server.file(PLUGIN_CONFIG))).toBe(true);
  });

  it("wo multitenancy --help lists every operator command of wofleet-agent's own --help", async () => {
    const agentHelp = await runNodeProgram(AGENT_CLI, ['--help'], cleanEnv());
    const commandsSection = agentHelp.stdout.slice(agentHelp.stdout.indexOf('Commands:'));
    const daemonOnly = new Set(['serve', 'enroll', 'help']);
    const agentCommands = [...commandsSection.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]).filter((c) => !daemonOnly.has(c ?? ''));
    expect(agentCommands).toContain('status');

    const r = await server.wo(['multitenancy', '--help']);

    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: wo multitenancy <command>/);
    const listed = [...r.stdout.matchAll(/^ {2}([a-z]+)$/gm)].map((m) => m[1]);
    expect(listed.sort()).toEqual(agentCommands.sort());
  });

  it("wo multitenancy status --json prints the agent's JSON and exits 0", async () => {
    const r = await server.wo(['multitenancy', 'status', '--json']);

    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const status = JSON.parse(r.stdout) as { current?: { version: string }; releases: number; sites: number };
    expect(status.current?.version).toBe('6.4.5');
    expect(status).toMatchObject({ releases: 1, sites: 0 });
  });

  it("a refused command passes the agent's one line and exit code through, and creates nothing", async () => {
    const r = await server.wo(['multitenancy', 'create', 'inv@lid_domain']);

    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("wofleet-agent: error: invalid domain 'inv@lid_domain': only letters, digits, '-' and '.' are allowed\n");
    expect(existsSync(server.file('/var/www/inv@lid_domain'))).toBe(false);
  });

  it('a failed operation passes exit code 1 through', async () => {
    const r = await server.wo(['multitenancy', 'rollback']);

    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^wofleet-agent: error: /m);
  });

  it("waits for the agent's end: SIGTERM to wo reaches the agent, wo exits with the agent's code; an agent that cannot start is one line, exit 1", async () => {
    // The plugin's own config, pointed at a stand-in agent that reports the signal and exits 7.
    const conf = server.file(PLUGIN_CONFIG);
    const installed = await readFile(conf, 'utf8');
    await writeFile(
      server.file('/tmp/slow-agent.sh'),
      'trap \'echo "agent: TERM"; exit 7\' TERM\ntouch /tmp/agent-started\nsleep 60 &\nwait\n',
    );
    const pointAt = (node: string, agent: string) =>
      installed.replace(/^node = .*$/m, `node = ${node}`).replace(/^agent = .*$/m, `agent = ${agent}`);
    await writeFile(conf, pointAt('/bin/sh', '/tmp/slow-agent.sh'));

    const r = await server.sh(
      [
        'wo multitenancy status & pid=$!',
        'for i in $(seq 100); do [ -e /tmp/agent-started ] && break; sleep 0.1; done',
        'kill -TERM $pid; wait $pid; echo "exit=$?"',
        `sed -i 's#^node = .*#node = /nonexistent/node#' ${PLUGIN_CONFIG}`,
        'wo multitenancy status; echo "exit=$?"',
      ].join('\n'),
    );
    await writeFile(conf, installed);

    expect(r.stdout).toBe('agent: TERM\nexit=7\nexit=1\n');
    expect(r.stderr).toBe(
      'wo multitenancy: cannot run wofleet-agent (/nonexistent/node /tmp/slow-agent.sh): No such file or directory; reinstall with wofleet-agent init --wo-plugin\n',
    );
  });

  it('wofleet-agent init --no-wo-plugin removes it: wo no longer knows the command and still works', async () => {
    const removed = await server.agent(['init', '--no-wo-plugin']);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('wo multitenancy: removed');
    expect(existsSync(server.file(PLUGIN_MODULE)) || existsSync(server.file(PLUGIN_CONFIG))).toBe(false);

    const r = await server.sh('wo multitenancy status 2>&1; echo "exit=$?"; wo site list 2>&1; echo "exit=$?"');
    expect(r.stdout).toMatch(/unrecognized arguments: multitenancy status\nexit=2\n/);
    expect(r.stdout).toMatch(/\nexit=0\n$/);
    expect(r.stdout).not.toContain('wofleet-agent');
  });
});
