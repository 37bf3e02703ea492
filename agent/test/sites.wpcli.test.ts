import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner, RunOptions } from '@wofleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SitePaths } from '../src/config/paths.js';
import { createWpCli } from '../src/sites/wpcli.js';

interface Call {
  command: string;
  args: readonly string[];
  options: RunOptions | undefined;
}

/** Records every call and answers with `stdout`, as WP-CLI prints (trailing newline). */
function recordingRunner(stdout = ''): { run: CommandRunner; calls: Call[] } {
  const calls: Call[] = [];
  const run: CommandRunner = async (command, args, options) => {
    calls.push({ command, args, options });
    return { stdout, stderr: '', exitCode: 0 };
  };
  return { run, calls };
}

/**
 * What real WP-CLI 2.10 needs told on every call (tests/agent.wpcli.test.ts runs the
 * same calls against the real phar): it infers neither the site's config, nor its host.
 */
describe('the WP-CLI adapter', () => {
  let root: string;
  let site: SitePaths;

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-wpcli-'));
    const siteRoot = path.join(root, 'a.test');
    const htdocs = path.join(siteRoot, 'htdocs');
    await mkdir(htdocs, { recursive: true });
    site = {
      domain: 'a.test',
      root: siteRoot,
      htdocs,
      config: path.join(siteRoot, 'wp-config.php'),
      coreLink: path.join(htdocs, 'wp'),
      wpContent: path.join(htdocs, 'wp-content'),
      index: path.join(htdocs, 'index.php'),
      errorLog: path.join(siteRoot, 'logs', 'error.log'),
    };
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("names the core, the site's config and its host, as root, without WP-CLI's update check", async () => {
    const { run, calls } = recordingRunner('56657\n');

    const value = await createWpCli('/usr/local/bin/wp', run, { PATH: '/usr/bin' }).optionGet(site, 'db_version');

    expect(value).toBe('56657');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.command).toBe('/usr/local/bin/wp');
    expect(calls[0]?.args).toEqual([
      `--path=${site.htdocs}`,
      '--url=http://a.test/',
      '--allow-root',
      '--skip-plugins',
      '--skip-themes',
      'option',
      'get',
      'db_version',
    ]);
    expect(calls[0]?.options?.env).toEqual({ PATH: '/usr/bin', WP_CONFIG_PATH: site.config, WP_CLI_DISABLE_AUTO_CHECK_UPDATE: '1' });
  });

  it("points a shared-core site's --path at its core link, unresolved", async () => {
    await symlink(path.join(root, 'shared', 'current'), site.coreLink);
    const { run, calls } = recordingRunner();

    await createWpCli('wp', run, {}).updateDb(site);

    expect(calls[0]?.args[0]).toBe(`--path=${site.coreLink}`);
    expect(calls[0]?.args.slice(-2)).toEqual(['core', 'update-db']);
  });

  it('dumps in one consistent transaction instead of read-locking every table', async () => {
    const { run, calls } = recordingRunner();

    await createWpCli('wp', run, {}).exportDb(site, '/var/lib/wofleet/snapshots/u1/a.test.sql');

    expect(calls[0]?.args.slice(-4)).toEqual(['db', 'export', '/var/lib/wofleet/snapshots/u1/a.test.sql', '--single-transaction']);
  });

  it('queries without column names and trims the output', async () => {
    const { run, calls } = recordingRunner('wp_options\nwp_posts\n');

    expect(await createWpCli('wp', run, {}).query(site, 'SHOW TABLES')).toBe('wp_options\nwp_posts');
    expect(calls[0]?.args.slice(-4)).toEqual(['db', 'query', 'SHOW TABLES', '--skip-column-names']);
  });
});
