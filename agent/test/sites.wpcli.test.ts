import { mkdir, mkdtemp, open, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner, RunOptions } from '@wofleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeAgentConfig } from '../src/config/load.js';
import { layoutOf, sitePaths, type Layout, type SitePaths } from '../src/config/paths.js';
import { writeReleaseMarker } from '../src/releases/marker.js';
import type { WebUser } from '../src/runtime/web-user.js';
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

const WEB_USER: WebUser = { name: 'www-data', uid: 33, gid: 33, home: '/var/www' };
const RELEASE = 'wp-6.4.5-20260101T000000Z';

/**
 * What real WP-CLI 2.10 needs told on every call (tests/agent.wpcli.test.ts runs the
 * same calls against the real phar): it infers neither the site's config, nor its host.
 * It runs as the web user, on a core the agent resolved itself.
 */
describe('the WP-CLI adapter', () => {
  let root: string;
  let layout: Layout;
  let site: SitePaths;
  const wpCli = (run: CommandRunner, env: Record<string, string> = {}, wpBin = 'wp') =>
    createWpCli({ wpBin, run, layout, webUser: async () => WEB_USER, env });

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-wpcli-'));
    const config = makeAgentConfig({ sharedRoot: path.join(root, 'shared'), sitesRoot: root, stateDir: path.join(root, 'state') });
    layout = layoutOf(config);
    site = sitePaths(config, 'a.test');
    await mkdir(site.htdocs, { recursive: true });
    const release = path.join(layout.releasesDir, RELEASE);
    await mkdir(release, { recursive: true });
    await writeReleaseMarker(release, {
      id: RELEASE,
      version: '6.4.5',
      dbVersion: 56657,
      digest: { algorithm: 'sha1', hex: 'a'.repeat(40) },
      archiveSha256: 'b'.repeat(64),
      stagedAt: '2026-01-01T00:00:00.000Z',
      files: 1,
      bytes: 1,
      newBytes: 1,
    });
    await symlink(path.join('releases', RELEASE), layout.current);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("names the core, the site's config and its host, as the web user with only PATH, locale and WP_CLI_* of the agent's environment", async () => {
    const { run, calls } = recordingRunner('56657\n');

    const value = await wpCli(
      run,
      { PATH: '/usr/bin', WP_CLI_PHP: '/usr/bin/php8.2', NATS_TOKEN: 'secret' },
      '/usr/local/bin/wp',
    ).optionGet(site, 'db_version');

    expect(value).toBe('56657');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.command).toBe('/usr/local/bin/wp');
    expect(calls[0]?.args).toEqual([
      `--path=${site.htdocs}`,
      '--url=http://a.test/',
      '--skip-plugins',
      '--skip-themes',
      'option',
      'get',
      'db_version',
    ]);
    expect(calls[0]?.options).toMatchObject({ user: { uid: 33, gid: 33 }, isolateEnv: true, cwd: site.htdocs });
    expect(calls[0]?.options?.env).toEqual({
      PATH: '/usr/bin',
      WP_CLI_PHP: '/usr/bin/php8.2',
      HOME: '/var/www',
      USER: 'www-data',
      LOGNAME: 'www-data',
      WP_CONFIG_PATH: site.config,
      WP_CLI_DISABLE_AUTO_CHECK_UPDATE: '1',
    });
  });

  it("points a shared-core site's --path at the release its link resolves to, not at the link", async () => {
    await symlink(layout.current, site.coreLink);
    const { run, calls } = recordingRunner();

    await wpCli(run).updateDb(site);

    expect(calls[0]?.args[0]).toBe(`--path=${path.join(layout.releasesDir, RELEASE)}`);
    expect(calls[0]?.args.slice(-2)).toEqual(['core', 'update-db']);
  });

  it('refuses a core link that leads anywhere but a release in releasesDir, naming the site, and runs nothing', async () => {
    const planted = path.join(site.htdocs, 'evil');
    await mkdir(planted);
    await symlink(planted, site.coreLink);
    const { run, calls } = recordingRunner();

    await expect(wpCli(run).updateDb(site)).rejects.toThrow(
      `a.test: its core link ${site.coreLink} resolves to ${planted}, not a release in ${layout.releasesDir}`,
    );
    expect(calls).toHaveLength(0);
  });

  it('refuses a core link to a directory in releasesDir that is not a complete release', async () => {
    const incomplete = path.join(layout.releasesDir, 'wp-6.5.5-20260101T000000Z');
    await mkdir(incomplete);
    await symlink(incomplete, site.coreLink);
    const { run, calls } = recordingRunner();

    await expect(wpCli(run).optionGet(site, 'db_version')).rejects.toThrow(/^a\.test: its core link .* not a release in /);
    expect(calls).toHaveLength(0);
  });

  it('dumps in one consistent transaction to the descriptor it is given, never to a path', async () => {
    const { run, calls } = recordingRunner();
    const out = await open(path.join(root, 'dump.sql'), 'w', 0o600);
    try {
      await wpCli(run).exportDb(site, out);

      expect(calls[0]?.args.slice(-4)).toEqual(['db', 'export', '-', '--single-transaction']);
      expect(calls[0]?.options?.stdoutFd).toBe(out.fd);
    } finally {
      await out.close();
    }
  });

  it('imports from the descriptor it is given (stdin), never from a path', async () => {
    const { run, calls } = recordingRunner();
    const from = await open(path.join(root, 'dump.sql'), 'w+');
    try {
      await wpCli(run).importDb(site, from);

      expect(calls[0]?.args.slice(-3)).toEqual(['db', 'import', '-']);
      expect(calls[0]?.options?.stdinFd).toBe(from.fd);
    } finally {
      await from.close();
    }
  });

  it('queries without column names and trims the output', async () => {
    const { run, calls } = recordingRunner('wp_options\nwp_posts\n');

    expect(await wpCli(run).query(site, 'SHOW TABLES')).toBe('wp_options\nwp_posts');
    expect(calls[0]?.args.slice(-4)).toEqual(['db', 'query', 'SHOW TABLES', '--skip-column-names']);
  });
});
