import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { sitePaths, type Engine } from '@wofleet/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFor, runAgent, writeAgentConfig, WP645 } from './support/agent.js';
import { LOCAL_MARIADB, runAdminSql } from './support/mariadb.js';
import { runWp } from './support/standins.js';
import { startStack, type Stack } from './support/stack.js';

const DOMAIN = 'a.test';
/** The WP-CLI the agent calls is the real 2.10.0 phar: what it does not infer, the agent must pass. */
describe('the agent against the real WP-CLI', () => {
  let stack: Stack;
  let engine: Engine;
  const site = () => sitePaths(engine.config, DOMAIN);

  beforeAll(async () => {
    stack = await startStack();
    await writeAgentConfig(stack);
    engine = engineFor(stack);
    expect((await runAgent(stack, ['init', '--release', WP645])).code).toBe(0);
    const created = await runAgent(stack, ['create', DOMAIN]);
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('is WP-CLI 2.10.0', async () => {
    const version = await runWp(stack, ['--allow-root', 'cli', 'version']);

    expect(version.stdout).toBe('WP-CLI 2.10.0\n');
  });

  it("reads a shared-core site through its symlinked core only with the site's config named: WP-CLI finds none itself", async () => {
    const alone = await runWp(stack, [`--path=${site().coreLink}`, '--allow-root', 'option', 'get', 'db_version']);

    expect(alone.exitCode).toBe(1);
    expect(alone.stderr).toMatch(/^Error: 'wp-config\.php' not found\./);
    expect(await engine.wp.optionGet(site(), 'db_version')).toBe('56657');
  });

  it("gives WordPress the site's host, as nginx does: a wp-config.php that builds WP_HOME from HTTP_HOST reads right", async () => {
    const config = readFileSync(site().config, 'utf8');
    writeFileSync(site().config, config.replace(/^<\?php\n/, "<?php\ndefine( 'WP_HOME', 'http://' . ( $_SERVER['HTTP_HOST'] ?? '' ) );\n"));
    try {
      const withoutUrl = await runWp(stack, [`--path=${site().coreLink}`, '--allow-root', 'option', 'get', 'home'], {
        WP_CONFIG_PATH: site().config,
      });

      expect(withoutUrl.stdout, withoutUrl.stderr).toBe('http:\n'); // WP-CLI leaves HTTP_HOST unset without --url
      expect(await engine.wp.optionGet(site(), 'home')).toBe(`http://${DOMAIN}`);
    } finally {
      writeFileSync(site().config, config);
    }
  });

  it('dumps a site DB while a write transaction stays open (plain WP-CLI db export would wait for it: it locks every table)', async () => {
    // From the site's own config: other stacks on this MariaDB have a.test databases too.
    const dbName = /define\( 'DB_NAME', '([A-Za-z0-9_]+)' \);/.exec(readFileSync(site().config, 'utf8'))?.[1];
    expect(dbName).toBeDefined();
    const holder = holdWriteTransaction(
      `USE \`${dbName}\`; BEGIN; UPDATE wp_options SET option_value = 'held' WHERE option_name = 'blogdescription';`,
    );
    try {
      const thread = await holder.holding;
      const file = path.join(stack.root, 'tmp', 'dump.sql');
      const out = await open(file, 'wx', 0o600);

      const dump = engine.wp.exportDb(site(), out).then(() => 'dumped');
      const waited = new Promise((r) => setTimeout(() => r('still waiting for the open transaction after 30 s'), 30_000));
      try {
        expect(await Promise.race([dump, waited])).toBe('dumped');
      } finally {
        await out.close();
      }

      expect(holder.ended(), 'the competing transaction is still open').toBe(false);
      expect((await stack.sql(`SELECT trx_state FROM information_schema.innodb_trx WHERE trx_mysql_thread_id = ${thread};`)).trim()).toBe(
        'RUNNING',
      );
      expect(statSync(file).size).toBeGreaterThan(0);
      expect(readFileSync(file, 'utf8')).toMatch(/CREATE TABLE `wp_options`/);
    } finally {
      await holder.end();
    }
  });
});

/**
 * A MariaDB session (the CLI, unbuffered) that runs `sql`, then says its connection id
 * and keeps its transaction open until end(). `holding` resolves with the id once the
 * statements ran; if they have not within 30 s, it rejects with what MariaDB says the
 * session is doing (a lock it waits for, say).
 */
function holdWriteTransaction(sql: string) {
  const session = spawn(
    'mariadb',
    [
      '--protocol=TCP',
      '-h',
      LOCAL_MARIADB.host,
      '-P',
      String(LOCAL_MARIADB.port),
      '-u',
      LOCAL_MARIADB.user,
      '-n',
      '--batch',
      '--skip-column-names',
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let output = '';
  let exited: string | undefined;
  session.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  session.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const closed = new Promise<void>((resolve) =>
    session.on('close', (code, signal) => {
      exited = `exited ${code ?? signal}`;
      resolve();
    }),
  );
  session.stdin.write(`${sql}\nSELECT CONNECTION_ID();\n`);
  const holding = (async () => {
    for (const until = Date.now() + 30_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
      const id = /^(\d+)$/m.exec(output)?.[1];
      if (id) return Number(id);
      if (exited) throw new Error(`the competing session ${exited}: ${output.trim()}`);
    }
    const doing = await runAdminSql(
      LOCAL_MARIADB,
      "SELECT id, command, time, state, info FROM information_schema.processlist WHERE info LIKE 'UPDATE wp_options%';",
    );
    throw new Error(`the competing transaction did not start within 30 s; MariaDB shows it as: ${doing.trim() || 'no such statement'}`);
  })();
  return {
    holding,
    ended: () => exited !== undefined,
    /** Closes the session without COMMIT: MariaDB rolls the transaction back. */
    async end() {
      session.stdin.end();
      session.kill('SIGTERM');
      await closed;
    },
  };
}
