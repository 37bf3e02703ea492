/**
 * `wo multitenancy` on the real WordOps 3.22 (tests/support/realwo.ts): what an operator
 * who thinks in WordOps sees. `wofleet-agent init --wo-plugin` installs the plugin, the real
 * `wo` loads it, lists its commands, runs the agent with its arguments and hands back the
 * agent's output and exit code; `init --no-wo-plugin` takes it out again and `wo` no
 * longer knows the command (and still works).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_CLI, WP645 } from './support/agent.js';
import { cleanEnv, runNodeProgram } from './support/cli.js';
import { startRealWoServer, type RealWoServer } from './support/realwo.js';

const PLUGIN_MODULE = '/var/lib/wo/plugins/multitenancy.py';
const PLUGIN_CONFIG = '/etc/wo/plugins.d/multitenancy.conf';
const SITE = 'mt.test';

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
    // Not WordOps commands: the daemon's own, help, and the shell completion of wofleet-agent itself.
    const daemonOnly = new Set(['serve', 'enroll', 'help', 'completion']);
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

  it('wo multitenancy create D --wpfc makes a shared-core site through the real wo, and list --json shows it', async () => {
    const created = await server.wo(['multitenancy', 'create', SITE, '--wpfc']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^created ${SITE.replace('.', '\\.')} on wp-6\\.4\\.5-\\S+ \\(WordPress 6\\.4\\.5\\)\\n$`));

    const list = await server.wo(['multitenancy', 'list', '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ domain: SITE, cache: 'wpfc', version: '6.4.5', health: 'healthy' }),
    ]);
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
      'trap \'kill $!; echo "agent: TERM"; exit 7\' TERM\ntouch /tmp/agent-started\nsleep 60 &\nwait\n',
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
    // wo site list prints each site in colour: ESC[94m mt.test ESC[0m.
    expect(r.stdout).toMatch(new RegExp(`\\x1b\\[94m${SITE.replace('.', '\\.')}\\x1b\\[0m\\n+exit=0\\n$`));
    expect(r.stdout).not.toContain('wofleet-agent');
  });
});
