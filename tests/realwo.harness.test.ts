/**
 * The parts of the real-WordOps harness the demo leans on: a long-lived process inside a
 * server (RealWoServer.spawn, how `wofleet-agent serve` runs there), a bare server (what
 * the package tests install into) and a Teardown that stops a server still starting when
 * the run is interrupted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/agent.js';
import { startRealWoServer, type RealWoServer } from './support/realwo.js';
import { Teardown } from './support/teardown.js';

const mounted = (dir: string) =>
  readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === dir);

async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await condition()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a long-lived process in a real-WordOps server', () => {
  let server: RealWoServer;
  beforeAll(async () => {
    server = await startRealWoServer({ name: 'harness' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs inside the server, with the given environment, and stop() ends it with SIGTERM', async () => {
    const daemon = server.spawn(
      ['sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo "on $(hostname) as $GREETING"; while :; do sleep 1; done'],
      {
        env: { GREETING: 'hello' },
      },
    );
    await waitFor('its first line', () => daemon.output().includes('\n'));
    expect(daemon.output()).toBe('on harness as hello\n');
    expect(daemon.running()).toBe(true);

    expect(await daemon.stop()).toBe(7);
    expect(daemon.output()).toContain('got TERM');
    expect(daemon.running()).toBe(false);
    expect((await server.sh('pgrep -f "[g]ot TERM"')).exitCode).toBe(1);
  });

  it('stop() kills a process that ignores SIGTERM after the grace period', async () => {
    const daemon = server.spawn(['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 1; done']);
    await waitFor('ready', () => daemon.output().includes('ready'));
    const started = Date.now();
    expect(await daemon.stop('SIGTERM', 500)).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("the server's stop() stops what still runs in it, then unmounts it", async () => {
    const other = await startRealWoServer({ name: 'harness-stop' });
    const daemon = other.spawn(['sleep', '1000']);
    await waitFor('sleep to run', async () => (await other.sh('pgrep -fx "sleep 1000"')).exitCode === 0);
    await other.stop();
    expect(daemon.running()).toBe(false);
    expect(mounted(other.root)).toBe(false);
    expect(existsSync(other.root)).toBe(false);
  });
});

describe('a bare real-WordOps server', () => {
  it('has WordOps but no node, no checkout and no agent config, where a normal one has them', async () => {
    const probe = `command -v node; test -e ${REPO_ROOT}/package.json && echo checkout; test -e /etc/wofleet/agent.yaml && echo config; wo --version`;
    const [bare, normal] = await Promise.all([
      startRealWoServer({ name: 'harness-bare', bare: true }),
      startRealWoServer({ name: 'harness-full' }),
    ]);
    try {
      const [inBare, inNormal] = await Promise.all([bare.sh(probe), normal.sh(probe)]);
      expect(inBare.stdout).not.toMatch(/node|checkout|config/);
      expect(inBare.stdout).toContain('3.22');
      expect(inNormal.stdout).toMatch(/node\n(.|\n)*checkout\n(.|\n)*config\n/);
      expect((await bare.sh('command -v node')).exitCode).not.toBe(0);
    } finally {
      await Promise.all([bare.stop(), normal.stop()]);
    }
  });
});

describe('a real-WordOps server booted by its own systemd', () => {
  it("runs WordOps' stack from its units, answers through the veth and powers off on stop()", async () => {
    const server = await startRealWoServer({ name: 'harness-systemd', bare: true, systemd: true });
    try {
      expect((await server.exec(['cat', '/proc/1/comm'])).stdout.trim()).toBe('systemd');
      const active = await server.exec(['systemctl', 'is-active', 'nginx', 'php8.2-fpm', 'mariadb', 'redis-server']);
      expect(active.stdout.split('\n').filter(Boolean)).toEqual(['active', 'active', 'active', 'active']);
      expect((await server.sh('command -v node')).exitCode).not.toBe(0);
      // Maintainer scripts may start and restart services, as on any Debian server.
      expect(existsSync(server.file('/usr/sbin/policy-rc.d'))).toBe(false);
      expect((await server.http('nothing.test', '/')).status).toBeGreaterThan(0);
    } finally {
      await server.stop();
    }
    expect(mounted(server.root)).toBe(false);
  });
});

describe('Teardown', () => {
  it('stops a server that was still starting when it ran, and nothing whose start failed', async () => {
    const teardown = new Teardown();
    const starting = teardown.adopt(startRealWoServer({ name: 'harness-td' }), (s) => s.stop());
    let stoppedFailed = false;
    const failed = teardown.adopt(Promise.reject(new Error('start failed')), async () => {
      stoppedFailed = true;
    });
    await expect(failed).rejects.toThrow('start failed');
    await teardown.run();
    const server = await starting;
    expect(mounted(server.root)).toBe(false);
    expect(existsSync(server.root)).toBe(false);
    expect(stoppedFailed).toBe(false);
    await teardown.run();
  });
});
