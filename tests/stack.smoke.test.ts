import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.js';
import { runWo, runWp } from './support/standins.js';
import { runCommand } from '@wofleet/shared';

// The real test stack, the wo stand-in and the real WP-CLI, driven through one site's life:
// create -> serve -> query -> update -> delete -> stop. Steps run in order.

const DOMAIN = 'a.test';
let stack: Stack;
let startMs = 0;

function uidOf(user: string): number {
  const line = fs
    .readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${user}:`));
  return Number(line?.split(':')[2]);
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  const started = Date.now();
  stack = await startStack();
  startMs = Date.now() - started;
});

afterAll(async () => {
  await stack?.stop();
});

describe('test stack with the wo stand-in and the real WP-CLI', () => {
  const site = () => {
    const root = path.join(stack.sitesRoot, DOMAIN);
    return { root, htdocs: path.join(root, 'htdocs'), config: path.join(root, 'wp-config.php') };
  };

  it('starts nginx and PHP-FPM quickly', () => {
    console.info(`startStack: ${startMs} ms (port ${stack.port})`);
    expect(startMs).toBeLessThan(5000);
    expect(stack.processGroups).toHaveLength(2);
  });

  it('wo site create installs WordPress 6.4.5 in its own htdocs with wp-config.php one level up', async () => {
    const started = Date.now();
    const result = await runWo(stack, ['site', 'create', DOMAIN, '--wp']);
    console.info(`wo site create: ${Date.now() - started} ms`);

    expect(result.exitCode, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/\x1b\[\d+m/);
    expect(result.stdout).toMatch(/[^\n]\r(?!\n)/);
    expect(result.lines).toContain(`Successfully created site http://${DOMAIN}`);
    expect(fs.existsSync(path.join(site().htdocs, 'wp-includes', 'version.php'))).toBe(true);
    expect(fs.existsSync(path.join(site().htdocs, 'wp-config.php'))).toBe(false);
    const config = fs.readFileSync(site().config, 'utf8');
    expect(config).toMatch(/define\( 'DB_NAME', 'a_test_[A-Za-z0-9]{8}' \);/);
    expect(config.trimEnd().split('\n').at(-1)).toBe("require_once ABSPATH . 'wp-settings.php';");
    expect(fs.readlinkSync(path.join(stack.sitesEnabled, DOMAIN))).toBe(path.join(stack.sitesAvailable, DOMAIN));
  });

  it('nginx serves the new site through PHP-FPM', async () => {
    const response = await stack.request(DOMAIN, '/');

    expect(response.status, stack.logs()).toBe(200);
    expect(response.body).toContain('<meta name="generator" content="WordPress 6.4.5"');
  });

  it('wp reads the site through its core dir, finding wp-config.php one level up', async () => {
    const dbVersion = await runWp(stack, [`--path=${site().htdocs}`, '--allow-root', 'option', 'get', 'db_version']);
    const coreVersion = await runWp(stack, [`--path=${site().htdocs}`, '--allow-root', 'core', 'version']);
    const siteUrl = await runWp(stack, [`--path=${site().htdocs}`, '--allow-root', 'option', 'get', 'siteurl']);

    expect(dbVersion.stdout, dbVersion.stderr).toBe('56657\n');
    expect(coreVersion.stdout).toBe('6.4.5\n');
    expect(siteUrl.stdout).toBe(`http://${DOMAIN}\n`);
  });

  it('wp refuses to run as root without --allow-root', async () => {
    const result = await runWp(stack, [`--path=${site().htdocs}`, 'option', 'get', 'db_version']);

    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^Error: YIKES!/);
  });

  it('wo site list and wo site info describe the site; info on an unknown site fails', async () => {
    const list = await runWo(stack, ['site', 'list']);
    const info = await runWo(stack, ['site', 'info', DOMAIN]);
    const unknown = await runWo(stack, ['site', 'info', 'nosuch.test']);

    expect(list.lines).toEqual([DOMAIN]);
    // WordOps' layout: "Label<tabs> value"; the cache type is the second word of the nginx configuration.
    const fields = Object.fromEntries(info.lines.filter((l) => l.includes('\t')).map((l) => l.split(/\t+/).map((f) => f.trim())));
    expect(fields).toMatchObject({
      'Nginx configuration': 'wp basic (enabled)',
      'PHP Version': '8.2',
      SSL: 'disabled',
      Webroot: site().root,
    });
    expect(fields.DB_NAME).toMatch(/^a_test_[A-Za-z0-9]{8}$/);
    expect(unknown.exitCode).toBe(1);
  });

  it('wo site create refuses an existing site and a PHP version that is not installed', async () => {
    const again = await runWo(stack, ['site', 'create', DOMAIN, '--wp']);
    const php74 = await runWo(stack, ['site', 'create', 'b.test', '--wp', '--php74']);

    expect(again.exitCode).toBe(1);
    expect(again.lines.at(-1)).toMatch(/already exists/);
    expect(php74.exitCode).toBe(1);
    expect(fs.existsSync(path.join(stack.sitesRoot, 'b.test'))).toBe(false);
  });

  it('wo site update deletes broken symlinks under the site root and chowns symlink targets (WordOps quirk)', async () => {
    const target = path.join(stack.sitesRoot, 'quirk-target');
    fs.mkdirSync(target, { mode: 0o755 });
    fs.symlinkSync(target, path.join(site().htdocs, 'linked'));
    fs.symlinkSync(path.join(stack.sitesRoot, 'gone'), path.join(site().htdocs, 'broken'));

    // An update that changes something (WordOps skips a PHP version the site already has).
    const result = await runWo(stack, ['site', 'update', DOMAIN, '--wpfc']);

    expect(result.exitCode, result.stdout).toBe(0);
    expect(fs.existsSync(path.join(site().htdocs, 'linked'))).toBe(true);
    expect(() => fs.lstatSync(path.join(site().htdocs, 'broken'))).toThrow();
    expect(fs.statSync(target).uid).toBe(uidOf('www-data'));
  });

  it('wo site delete removes files, vhost and database without following symlinks out of the site', async () => {
    const outside = path.join(stack.sitesRoot, 'shared-core');
    fs.mkdirSync(outside, { mode: 0o755 });
    fs.writeFileSync(path.join(outside, 'keep.php'), '<?php');
    fs.symlinkSync(outside, path.join(site().htdocs, 'wp'));
    const { databases, users } = await stack.createdDatabases();

    const result = await runWo(stack, ['site', 'delete', DOMAIN, '--no-prompt']);

    expect(result.exitCode, result.stdout).toBe(0);
    expect(fs.existsSync(site().root)).toBe(false);
    expect(fs.existsSync(path.join(outside, 'keep.php'))).toBe(true);
    expect(fs.existsSync(path.join(stack.sitesAvailable, DOMAIN))).toBe(false);
    expect(() => fs.lstatSync(path.join(stack.sitesEnabled, DOMAIN))).toThrow();
    expect(await stack.sql(`SHOW DATABASES LIKE '${databases[0]}'`)).toBe('');
    expect(await stack.sql(`SELECT user FROM mysql.user WHERE user = '${users[0]}'`)).toBe('');
    await expect(stack.request(DOMAIN, '/')).rejects.toThrow(/socket hang up/);
    expect((await runWo(stack, ['site', 'list'])).lines).toEqual([]);
  });

  it('wo site delete of an unknown site reports it in red and exits 1, as the real WordOps run recorded', async () => {
    const result = await runWo(stack, ['site', 'delete', DOMAIN, '--no-prompt']);

    expect(result.exitCode).toBe(1);
    expect(result.lines).toEqual([`site ${DOMAIN} does not exist`]);
  });

  it('stop leaves no process, database or file of the stack behind', async () => {
    await runWo(stack, ['site', 'create', 'c.test', '--wp']);
    const { databases } = await stack.createdDatabases();

    await stack.stop();

    expect(stack.processGroups.filter(groupAlive)).toEqual([]);
    expect(fs.existsSync(stack.root)).toBe(false);
    const left = await runCommand('mariadb', ['-uroot', '-h127.0.0.1', '-N', '-e', 'SHOW DATABASES']);
    expect(left.stdout.split('\n').filter((db) => databases.includes(db))).toEqual([]);
  });
});
