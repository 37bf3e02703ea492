import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SiteRow, StatusResult } from '@wofleet/agent';
import { generatorVersion } from './support/releases.js';
import { startStack, type Stack } from './support/stack.js';
import { runAgent, runAgentJson, writeAgentConfig, WP645 } from './support/agent.js';
import { runWo } from './support/standins.js';

const du = (p: string) => Number(execFileSync('du', ['-s', '--block-size=1', p]).toString().split('\t')[0]);

function treeListing(root: string): string[] {
  return execFileSync('find', [root, '-printf', '%p %y %s %l\n']).toString().split('\n').sort();
}

describe('shared-core sites on a real nginx + PHP-FPM + MariaDB stack', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await writeAgentConfig(stack);
    const init = await runAgent(stack, ['init', '--release', WP645]);
    expect(init.code, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('init is idempotent: a second run succeeds and changes nothing', async () => {
    const before = treeListing(stack.sharedRoot);
    const again = await runAgent(stack, ['init', '--release', WP645]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already initialised');
    expect(treeListing(stack.sharedRoot)).toEqual(before);
  });

  it('init --force repairs a deleted current link and dispatcher', async () => {
    const current = readlinkSync(path.join(stack.sharedRoot, 'current'));
    unlinkSync(path.join(stack.sharedRoot, 'current'));
    unlinkSync(path.join(stack.sharedRoot, 'releases', 'wp-config.php'));
    const refused = await runAgent(stack, ['init']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("run 'init --force'");
    const repaired = await runAgent(stack, ['init', '--force']);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain('repaired: current ->');
    expect(readlinkSync(path.join(stack.sharedRoot, 'current'))).toBe(current);
    expect(existsSync(path.join(stack.sharedRoot, 'releases', 'wp-config.php'))).toBe(true);
  });

  it('creates three sites that each serve WordPress 6.4.5 through nginx, login page included', async () => {
    for (const domain of ['a.test', 'b.test', 'c.test']) {
      const created = await runAgent(stack, ['create', domain]);
      expect(created.code, created.stderr).toBe(0);
    }
    for (const domain of ['a.test', 'b.test', 'c.test']) {
      const home = await stack.request(domain, '/');
      expect(home.status, stack.logs()).toBe(200);
      expect(home.body).toContain('<meta name="generator" content="WordPress 6.4.5"');
      const login = await stack.request(domain, '/wp/wp-login.php');
      expect(login.status).toBe(200);
      expect(login.body).toContain('user_login');
      expect(readlinkSync(path.join(stack.sitesRoot, domain, 'htdocs', 'wp'))).toBe(path.join(stack.sharedRoot, 'current'));
    }
  });

  it('list --json shows every site with PHP, cache, SSL, release and health', async () => {
    const rows = await runAgentJson<SiteRow[]>(stack, ['list']);
    expect(rows.map((r) => r.domain)).toEqual(['a.test', 'b.test', 'c.test']);
    for (const row of rows) {
      // PHP as WordOps records it (`wo site info`: "8.2"), read from its site database.
      expect(row).toMatchObject({ php: '8.2', cache: 'basic', ssl: false, version: '6.4.5', health: 'healthy' });
      expect(row.diskBytes).toBeGreaterThan(0);
    }
  });

  it('create passes the cache and PHP flags to WordOps', async () => {
    const created = await runAgent(stack, ['create', 'cached.test', '--wpfc', '--php82']);
    expect(created.code, created.stderr).toBe(0);
    const info = await runWo(stack, ['site', 'info', 'cached.test']);
    expect(info.stdout).toMatch(/wpfc/);
    // The agent reads the cache type where WordOps prints it (the nginx configuration line).
    const listed = await runAgentJson<SiteRow[]>(stack, ['list']);
    expect(listed.find((r) => r.domain === 'cached.test')).toMatchObject({ cache: 'wpfc' });
    const removed = await runAgent(stack, ['remove', 'cached.test']);
    expect(removed.code, removed.stderr).toBe(0);
  });

  it('a failed create removes the site again and leaves nothing of it', async () => {
    const before = treeListing(stack.root);
    const failed = await runAgent(stack, ['create', 'broken.test', '--php74']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/create broken\.test failed: .*site removed again/);
    expect(existsSync(path.join(stack.sitesRoot, 'broken.test'))).toBe(false);
    expect(existsSync(path.join(stack.sitesAvailable, 'broken.test'))).toBe(false);
    expect((await runWo(stack, ['site', 'list'])).stdout).not.toContain('broken.test');
    expect(treeListing(stack.root).filter((l) => l.includes('broken.test'))).toEqual(before.filter((l) => l.includes('broken.test')));
  });

  it('a plugin WordOps installs in another version than the shared tree holds: the new site uses the shared copy', async () => {
    const shared = path.join(stack.sharedRoot, 'wp-content', 'plugins', 'hello.php');
    const original = readFileSync(shared);
    const fleetCopy = Buffer.concat([original, Buffer.from("\n// the fleet's copy\n")]);
    writeFileSync(shared, fleetCopy);
    try {
      const created = await runAgent(stack, ['create', 'plugin.test']);
      expect(created.code, created.stderr).toBe(0);
      const plugins = path.join(stack.sitesRoot, 'plugin.test', 'htdocs', 'wp-content', 'plugins');
      expect(readlinkSync(plugins)).toBe(path.join(stack.sharedRoot, 'wp-content', 'plugins'));
      expect(readFileSync(path.join(plugins, 'hello.php'))).toEqual(fleetCopy);
      expect((await runAgent(stack, ['remove', 'plugin.test'])).code).toBe(0);
    } finally {
      writeFileSync(shared, original);
    }
  });

  it('a failure while converting a created site removes it again, database included', async () => {
    // Without its health token no site can prove what it serves: convert's last step fails.
    const token = path.join(stack.sharedRoot, 'config', 'health-token');
    renameSync(token, `${token}.away`);
    try {
      // Site DBs are named after the domain; other runs may share this MariaDB, so look at ours only.
      const siteDbs = async () => (await stack.sql('SHOW DATABASES')).split('\n').filter((n) => n.startsWith('conflict_test'));
      expect(await siteDbs()).toEqual([]);
      const failed = await runAgent(stack, ['create', 'conflict.test']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/create conflict\.test failed: .*health-token.*site removed again/);
      expect(existsSync(path.join(stack.sitesRoot, 'conflict.test'))).toBe(false);
      expect(existsSync(path.join(stack.sitesAvailable, 'conflict.test'))).toBe(false);
      expect((await runWo(stack, ['site', 'list'])).stdout).not.toContain('conflict.test');
      expect(await siteDbs()).toEqual([]);
    } finally {
      renameSync(`${token}.away`, token);
    }
  });

  describe('convert of a traditional WordOps site', () => {
    const domain = 'trad.test';
    let siteBytesBefore = 0;
    beforeAll(async () => {
      const made = await runWo(stack, ['site', 'create', domain, '--wp']);
      expect(made.exitCode, made.stderr).toBe(0);
      const uploads = path.join(stack.sitesRoot, domain, 'htdocs', 'wp-content', 'uploads', '2026', '11');
      mkdirSync(uploads, { recursive: true });
      writeFileSync(path.join(uploads, 'photo.txt'), 'an upload of trad.test\n');
      const plugin = path.join(stack.sitesRoot, domain, 'htdocs', 'wp-content', 'plugins', 'trad-only');
      mkdirSync(plugin, { recursive: true });
      writeFileSync(path.join(plugin, 'trad-only.php'), '<?php\n/* Plugin Name: trad only */\n');
      siteBytesBefore = du(path.join(stack.sitesRoot, domain));
    });

    it('--dry-run reports the plan and changes nothing', async () => {
      const before = treeListing(stack.root);
      const plan = await runAgent(stack, ['convert', domain, '--dry-run']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain('plugins/trad-only: move-to-shared');
      expect(plan.stdout).toContain('no conflicts');
      expect(treeListing(stack.root)).toEqual(before);
    });

    it('refuses a plugin whose shared copy differs, leaving the site as it was', async () => {
      const hello = path.join(stack.sitesRoot, domain, 'htdocs', 'wp-content', 'plugins', 'hello.php');
      const original = readFileSync(hello);
      writeFileSync(hello, Buffer.concat([original, Buffer.from('\n// locally patched\n')]));
      try {
        const before = treeListing(stack.root);
        const refused = await runAgent(stack, ['convert', domain]);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain('plugins/hello.php: the shared tree has a different version');
        expect(treeListing(stack.root)).toEqual(before);
        expect((await stack.request(domain, '/')).status).toBe(200);
      } finally {
        writeFileSync(hello, original);
      }
    });

    it('a convert that fails half-way (the site cannot be verified) puts the site back as it was', async () => {
      const token = path.join(stack.sharedRoot, 'config', 'health-token');
      const site = path.join(stack.sitesRoot, domain);
      const watched = () =>
        [
          path.join(site, 'htdocs'),
          path.join(site, 'wp-config.php'),
          path.join(stack.sharedRoot, 'wp-content'),
          path.join(stack.stateDir, 'backups'),
        ].flatMap(treeListing);
      const before = watched();
      // PHP can no longer read the probe token: the health endpoint refuses, so verify fails after every other step ran.
      chmodSync(token, 0o600);
      await writeAgentConfig(stack, { probe: { address: stack.probeAddress, switchTimeoutMs: 5_000 } });
      try {
        const failed = await runAgent(stack, ['convert', domain]);
        expect(failed.code).toBe(1);
        expect(failed.stderr).toMatch(/verify failed: .*; reverted/);
      } finally {
        chmodSync(token, 0o640);
        await writeAgentConfig(stack);
      }
      expect(watched()).toEqual(before);
      const home = await stack.request(domain, '/');
      expect(home.status).toBe(200);
      expect(generatorVersion(home.body)).toBe('6.4.5');
    });

    it('serves the same post and upload afterwards, and status shows the core bytes freed', async () => {
      const homeBefore = await stack.request(domain, '/');
      expect(homeBefore.body).toContain('Hello world!');
      const converted = await runAgent(stack, ['convert', domain]);
      expect(converted.code, converted.stderr).toBe(0);
      expect(converted.stdout).toContain('added to shared tree: plugins/trad-only');
      const home = await stack.request(domain, '/');
      expect(home.status).toBe(200);
      expect(home.body).toContain('Hello world!');
      expect(generatorVersion(home.body)).toBe('6.4.5');
      const upload = await stack.request(domain, '/wp-content/uploads/2026/11/photo.txt');
      expect(upload.body).toBe('an upload of trad.test\n');
      const status = await runAgentJson<StatusResult>(stack, ['status']);
      const after = status.disk.perSiteBytes[domain] ?? Number.NaN;
      // The core copy (~14 MiB of the trimmed fixture) left the site; uploads and config stayed.
      expect(siteBytesBefore - after).toBeGreaterThan(10 * 1024 * 1024);
      expect(status.disk.backupsBytes).toBeGreaterThan(10 * 1024 * 1024);
    });

    it('convert --revert restores the site with its own core', async () => {
      const reverted = await runAgent(stack, ['convert', '--revert', domain]);
      expect(reverted.code, reverted.stderr).toBe(0);
      const htdocs = path.join(stack.sitesRoot, domain, 'htdocs');
      expect(existsSync(path.join(htdocs, 'wp'))).toBe(false);
      expect(existsSync(path.join(htdocs, 'wp-settings.php'))).toBe(true);
      expect(readdirSync(path.join(htdocs, 'wp-content', 'plugins'))).toContain('trad-only');
      expect(readFileSync(path.join(stack.sitesRoot, domain, 'wp-config.php'), 'utf8')).not.toContain('wofleet:begin');
      const home = await stack.request(domain, '/');
      expect(home.status).toBe(200);
      expect(home.body).toContain('Hello world!');
      expect(generatorVersion(home.body)).toBe('6.4.5');
    });
  });

  it('baseline set forces a theme on every site; a baseline naming a missing plugin is refused', async () => {
    const themes = path.join(stack.sharedRoot, 'wp-content', 'themes');
    execFileSync('cp', ['-r', path.join(themes, 'twentytwentyfour'), path.join(themes, 'fleettheme')]);
    const set = await runAgent(stack, ['baseline', 'set', '--theme', 'fleettheme']);
    expect(set.code, set.stderr).toBe(0);
    for (const domain of ['a.test', 'b.test']) {
      const home = await stack.request(domain, '/');
      expect(home.body).toContain('/wp-content/themes/fleettheme/');
    }
    const refused = await runAgent(stack, ['baseline', 'set', '--plugin', 'missing/missing.php']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('baseline plugin missing/missing.php is not in the shared plugins');
    const shown = await runAgentJson<{ theme: string | null }>(stack, ['baseline', 'show']);
    expect(shown.theme).toBe('fleettheme');
    expect((await runAgent(stack, ['baseline', 'set', '--theme', ''])).code).toBe(0);
  });

  it('remove deletes one site; the others keep serving and the shared core is intact', async () => {
    const removed = await runAgent(stack, ['remove', 'c.test']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(path.join(stack.sitesRoot, 'c.test'))).toBe(false);
    for (const domain of ['a.test', 'b.test']) expect((await stack.request(domain, '/')).status).toBe(200);
    expect(existsSync(path.join(stack.sharedRoot, 'current', 'wp-settings.php'))).toBe(true);
    expect(existsSync(path.join(stack.sharedRoot, 'current', '.wofleet-release.json'))).toBe(true);
    const health = await runAgent(stack, ['health']);
    expect(health.code, health.stdout).toBe(0);
  });

  it('remove --all refuses while sites use the shared core', async () => {
    const refused = await runAgent(stack, ['remove', '--all']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('still use the shared core: a.test, b.test');
    expect(existsSync(stack.sharedRoot)).toBe(true);
  });

  it('remove --all removes the shared core once no site uses it', async () => {
    for (const domain of ['a.test', 'b.test']) expect((await runAgent(stack, ['remove', domain])).code).toBe(0);
    const removed = await runAgent(stack, ['remove', '--all']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(existsSync(stack.sharedRoot)).toBe(false);
    const status = await runAgent(stack, ['status']);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain('not initialised');
  });
});
