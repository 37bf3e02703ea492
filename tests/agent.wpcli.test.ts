import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { sitePaths, type Engine } from '@wofleet/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFor, runAgent, writeAgentConfig, WP645 } from './support/agent.js';
import { runWp } from './support/standins.js';
import { startStack, type Stack } from './support/stack.js';

const DOMAIN = 'a.test';
/** How long the competing transaction would stay open: far longer than a dump of a fresh site takes. */
const HOLD_SECONDS = 60;

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
    const holder = stack
      .sql(
        `USE \`${dbName}\`; BEGIN; UPDATE wp_options SET option_value = 'held' WHERE option_name = 'blogdescription'; SELECT SLEEP(${HOLD_SECONDS}); COMMIT;`,
      )
      .then(
        () => 'committed',
        (err: unknown) => `failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    let holderEnded: string | undefined;
    void holder.then((end) => {
      holderEnded = end;
    });
    // Only this site's transactions: other stacks share the machine's MariaDB.
    const openTransactions = async () =>
      (
        await stack.sql(
          `SELECT t.trx_mysql_thread_id FROM information_schema.innodb_trx t JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id WHERE p.db = '${dbName}';`,
        )
      )
        .trim()
        .split('\n')
        .filter(Boolean);
    try {
      for (const until = Date.now() + 30_000; (await openTransactions()).length === 0; ) {
        if (holderEnded !== undefined || Date.now() > until) {
          throw new Error(`the competing transaction never started (its session ${holderEnded ?? 'still runs'})`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const file = path.join(stack.root, 'tmp', 'dump.sql');

      await engine.wp.exportDb(site(), file);

      expect(await openTransactions()).toHaveLength(1);
      expect(statSync(file).size).toBeGreaterThan(0);
      expect(readFileSync(file, 'utf8')).toMatch(/CREATE TABLE `wp_options`/);
    } finally {
      for (const thread of await openTransactions()) await stack.sql(`KILL ${Number(thread)};`);
      await holder;
    }
  });
});
