import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { COMMANDS, runCommand, sitePaths, type Engine } from '@wofleet/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFor, initSites, runAgent } from './support/agent.js';
import { runWo } from './support/standins.js';
import { startStack, type Stack } from './support/stack.js';

const SHARED_SITE = 'a.test';
const TRADITIONAL_SITE = 'trad.test';
const webUid = Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' }).trim());
const webGid = Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' }).trim());

/** PHP that appends "<euid> <argv as JSON>" to `file` each time it runs. */
const recordRun = (file: string) =>
  `file_put_contents( ${JSON.stringify(file)}, posix_geteuid() . ' ' . json_encode( $GLOBALS['argv'] ?? array(), JSON_UNESCAPED_SLASHES ) . "\\n", FILE_APPEND );`;

/** Each recorded run: who it ran as and the arguments WP-CLI was given. */
function recordedRuns(file: string): { euid: number; argv: string[] }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const space = line.indexOf(' ');
      return { euid: Number(line.slice(0, space)), argv: JSON.parse(line.slice(space + 1)) as string[] };
    });
}

/**
 * A site owns its htdocs and (under WordOps) its wp-config.php: whatever PHP the agent
 * runs for it must run as the web user, on a core the agent checked, and a DB dump
 * must be root's file, not a path handed to the site's code.
 */
describe("the agent runs a site's PHP as the web user, never as root", () => {
  let stack: Stack;
  let engine: Engine;
  /** World-writable: the planted code runs as www-data (or, wrongly, as root). */
  let witness: string;

  beforeAll(async () => {
    stack = await startStack();
    await initSites(stack, [SHARED_SITE]);
    engine = engineFor(stack);
    const made = await runWo(stack, ['site', 'create', TRADITIONAL_SITE, '--wp']);
    expect(made.exitCode, made.stderr).toBe(0);
    witness = mkdtempSync(path.join(stack.root, 'witness-'));
    chmodSync(witness, 0o1777);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /** A directory in the site's htdocs that WP-CLI accepts as a core: version.php plus a wp-settings.php recording who ran it. */
  function plantCore(domain: string, record: string): string {
    const htdocs = sitePaths(engine.config, domain).htdocs;
    const planted = path.join(htdocs, 'planted-core');
    mkdirSync(path.join(planted, 'wp-includes'), { recursive: true });
    copyFileSync(path.join(stack.sharedRoot, 'current', 'wp-includes', 'version.php'), path.join(planted, 'wp-includes', 'version.php'));
    writeFileSync(path.join(planted, 'wp-settings.php'), `<?php\n${recordRun(record)}\n`);
    return planted;
  }

  it("refuses to convert a site whose wp link leads to the site's own code, naming the site; the code never runs", async () => {
    const record = path.join(witness, 'convert-core-runs');
    const site = sitePaths(engine.config, TRADITIONAL_SITE);
    const planted = plantCore(TRADITIONAL_SITE, record);
    symlinkSync(planted, site.coreLink);

    const converted = await runAgent(stack, ['convert', TRADITIONAL_SITE]);

    expect(recordedRuns(record).map((r) => r.euid)).not.toContain(0);
    expect(existsSync(record)).toBe(false);
    expect(converted.code).toBe(1);
    expect(converted.stderr).toContain(
      `${TRADITIONAL_SITE}: its core link ${site.coreLink} resolves to ${planted}, not a release in ${path.join(stack.sharedRoot, 'releases')}`,
    );
  });

  it('refuses a shared-core site whose wp link was swapped after it was listed (an update in flight); the code never runs', async () => {
    const record = path.join(witness, 'swapped-core-runs');
    const site = sitePaths(engine.config, SHARED_SITE);
    const planted = plantCore(SHARED_SITE, record);
    const original = path.join(site.htdocs, 'wp.original');
    renameSync(site.coreLink, original);
    symlinkSync(planted, site.coreLink);
    try {
      await expect(engine.wp.updateDb(site)).rejects.toThrow(`${SHARED_SITE}: its core link ${site.coreLink} resolves to ${planted}`);
      await expect(engine.wp.optionGet(site, 'db_version')).rejects.toThrow(SHARED_SITE);
    } finally {
      renameSync(original, site.coreLink);
    }

    expect(recordedRuns(record).map((r) => r.euid)).not.toContain(0);
    expect(existsSync(record)).toBe(false);
  });

  it("runs code planted in the site's wp-config.php only as the web user, for reads, upgrade-db, its dump and a restore", async () => {
    const record = path.join(witness, 'config-runs');
    const site = sitePaths(engine.config, SHARED_SITE);
    const config = readFileSync(site.config, 'utf8');
    writeFileSync(site.config, config.replace(/^<\?php\n/, `<?php\n${recordRun(record)}\n`));
    /** Who ran each WP-CLI command so far, by command (`db export`, `option get`, ...). */
    const ranAs = () =>
      recordedRuns(record).map(
        (r) =>
          `${r.argv
            .filter((a) => !a.startsWith('--'))
            .slice(1, 3)
            .join(' ')} as ${r.euid}`,
      );
    try {
      // A DB behind its core: upgrade-db snapshots it (db export), upgrades it and reads it back.
      await engine.wp.query(site, "UPDATE wp_options SET option_value = '56000' WHERE option_name = 'db_version'");
      const upgraded = await runCommand(COMMANDS.upgradeDb, engine, { site: SHARED_SITE });
      expect(upgraded.upgraded).toEqual([SHARED_SITE]);
      expect(ranAs()).toEqual(
        expect.arrayContaining(['db query', 'option get', 'db export', 'core update-db'].map((c) => `${c} as ${webUid}`)),
      );
      expect(ranAs().filter((r) => !r.endsWith(` as ${webUid}`))).toEqual([]);

      const dump = await open(upgraded.snapshots[0] ?? '', 'r');
      try {
        await engine.wp.importDb(site, dump);
      } finally {
        await dump.close();
      }
      expect(await engine.wp.optionGet(site, 'db_version')).toBe('56000'); // the dump was taken before the upgrade
    } finally {
      writeFileSync(site.config, config);
    }

    expect(ranAs()).toContain(`db import as ${webUid}`);
    expect(ranAs().filter((r) => !r.endsWith(` as ${webUid}`))).toEqual([]);
  });

  it("writes a DB snapshot as root's own 0600 file, and never hands WP-CLI a path in the agent's state", async () => {
    const record = path.join(witness, 'snapshot-runs');
    const site = sitePaths(engine.config, SHARED_SITE);
    const config = readFileSync(site.config, 'utf8');
    writeFileSync(site.config, config.replace(/^<\?php\n/, `<?php\n${recordRun(record)}\n`));
    let snapshot: string;
    try {
      await engine.wp.query(site, "UPDATE wp_options SET option_value = '56000' WHERE option_name = 'db_version'");
      const upgraded = await runCommand(COMMANDS.upgradeDb, engine, { site: SHARED_SITE });
      snapshot = upgraded.snapshots[0] ?? '';
    } finally {
      writeFileSync(site.config, config);
    }

    const st = statSync(snapshot);
    expect({ uid: st.uid, mode: (st.mode & 0o777).toString(8) }).toEqual({ uid: 0, mode: '600' });
    expect(readFileSync(snapshot, 'utf8')).toMatch(/CREATE TABLE `wp_options`/);
    const argvs = recordedRuns(record).map((r) => r.argv.join(' '));
    expect(argvs.length).toBeGreaterThan(0);
    for (const argv of argvs) expect(argv).not.toContain(stack.stateDir);
  });

  it("keeps site secrets from other users: the site's wp-config.php is the web user's 0600, the health token root:web-group 0640", () => {
    const config = statSync(sitePaths(engine.config, SHARED_SITE).config);
    const token = statSync(path.join(stack.sharedRoot, 'config', 'health-token'));

    expect({ uid: config.uid, mode: (config.mode & 0o777).toString(8) }).toEqual({ uid: webUid, mode: '600' });
    expect({ uid: token.uid, gid: token.gid, mode: (token.mode & 0o777).toString(8) }).toEqual({ uid: 0, gid: webGid, mode: '640' });
  });

  it("init --force gives a site's wp-config.php and the health token their owner and mode back (a site converted before, or changed by hand)", async () => {
    const config = sitePaths(engine.config, SHARED_SITE).config;
    const token = path.join(stack.sharedRoot, 'config', 'health-token');
    chownSync(config, 0, 0);
    chmodSync(config, 0o644);
    chmodSync(token, 0o644);

    const repaired = await runAgent(stack, ['init', '--force']);

    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toContain(`owner and mode of ${config}`);
    const st = statSync(config);
    expect({ uid: st.uid, mode: (st.mode & 0o777).toString(8) }).toEqual({ uid: webUid, mode: '600' });
    expect((statSync(token).mode & 0o777).toString(8)).toBe('640');
    expect((await stack.request(SHARED_SITE, '/')).status).toBe(200);
  });
});
