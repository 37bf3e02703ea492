/**
 * Crash safety: the agent kills itself with SIGKILL at an injected kill point
 * (WOFLEET_KILL_AT, agent/src/state/killpoints.ts), exactly as a power cut or an OOM
 * kill would. After every crash the server must still be consistent: `current` points
 * at a complete release, every site answers 200 with the core its link points at, read
 * commands work, the dead command's lock does not block the next one, the next
 * mutating command removes the leftovers, and a new update or rollback succeeds.
 *
 * Real stacks (nginx + PHP-FPM + MariaDB), WordPress 6.4.5 + two sites each; three
 * servers prepared in parallel so each crash starts from a known layout:
 *   switch server:    killed inside update 6.4.5 -> 6.5.5 before the `current` rename
 *   renamed server:   killed inside update 6.4.5 -> 6.5.5 after the `current` rename
 *   rollback server:  updated to 6.5.5, killed inside `rollback --restore-db`, then the
 *                     three staging kill points, each on an update to a re-packed 6.5.5
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgent, writeAgentConfig, WP645, WP655, type CliResult } from './support/agent.js';
import { startStack, type Stack } from './support/stack.js';

const SITES = ['a.test', 'b.test'] as const;
const MARKER = '.wofleet-release.json';

// ---------------------------------------------------------------------------------------
// what a server looks like

interface UpdateRecord {
  from: string;
  to: string;
  outcome: string;
  finishedAt?: string;
}

interface StateFile {
  previous?: string;
  updates: UpdateRecord[];
}

interface SiteView {
  status: number;
  /** From `<meta name="generator" content="WordPress X">`. */
  version?: string;
  /** Which core link the site's `htdocs/wp` goes through. */
  link: 'current' | 'canary' | 'other';
}

interface Observation {
  /** Release ids the links point at. */
  current?: string;
  canary?: string;
  /** Complete releases (with their marker): id -> version. */
  releases: Record<string, string>;
  /** Directories in releases/ named like releases but without a marker. */
  markerless: string[];
  staging: string[];
  lock?: { pid: number; command: string };
  sites: Record<string, SiteView>;
  state: StateFile;
}

function linkTarget(file: string): string | undefined {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function observe(stack: Stack): Promise<Observation> {
  const releasesDir = path.join(stack.sharedRoot, 'releases');
  const releases: Record<string, string> = {};
  const markerless: string[] = [];
  for (const name of readdirSync(releasesDir).filter((n) => n.startsWith('wp-') && n !== 'wp-config.php')) {
    const marker = path.join(releasesDir, name, MARKER);
    if (existsSync(marker)) releases[name] = (JSON.parse(readFileSync(marker, 'utf8')) as { version: string }).version;
    else markerless.push(name);
  }
  const stagingDir = path.join(releasesDir, '.staging');
  const lockFile = path.join(stack.stateDir, 'lock');
  const sites: Record<string, SiteView> = {};
  for (const domain of SITES) {
    const response = await stack.request(domain, '/');
    const target = linkTarget(path.join(stack.sitesRoot, domain, 'htdocs', 'wp'));
    sites[domain] = {
      status: response.status,
      version: /<meta name="generator" content="WordPress ([^"]+)"/.exec(response.body)?.[1],
      link:
        target === path.join(stack.sharedRoot, 'current')
          ? 'current'
          : target === path.join(stack.sharedRoot, 'canary')
            ? 'canary'
            : 'other',
    };
  }
  const base = (file: string) => {
    const t = linkTarget(file);
    return t === undefined ? undefined : path.basename(t);
  };
  return {
    current: base(path.join(stack.sharedRoot, 'current')),
    canary: base(path.join(stack.sharedRoot, 'canary')),
    releases,
    markerless,
    staging: existsSync(stagingDir) ? readdirSync(stagingDir).sort() : [],
    lock: existsSync(lockFile) ? (JSON.parse(readFileSync(lockFile, 'utf8')) as { pid: number; command: string }) : undefined,
    sites,
    state: JSON.parse(await readFile(path.join(stack.stateDir, 'state.json'), 'utf8')) as StateFile,
  };
}

/** The version each site must serve: that of the release its core link points at. */
function expectedVersions(o: Observation): Record<string, string | undefined> {
  return Object.fromEntries(
    SITES.map((d) => {
      const link = o.sites[d]?.link;
      const id = link === 'canary' ? o.canary : link === 'current' ? o.current : undefined;
      return [d, id === undefined ? undefined : o.releases[id]];
    }),
  );
}

function servedVersions(o: Observation): Record<string, string | undefined> {
  return Object.fromEntries(SITES.map((d) => [d, o.sites[d]?.version]));
}

function statuses(o: Observation): number[] {
  return SITES.map((d) => o.sites[d]?.status ?? 0);
}

const mentionsLock = /another wofleet command is running/;

async function must(stack: Stack, args: string[]): Promise<CliResult> {
  const r = await runAgent(stack, args);
  if (r.code !== 0) throw new Error(`wofleet-agent ${args.join(' ')} exited ${r.code}: ${r.stderr}\n${stack.logs()}`);
  return r;
}

async function killedAt(stack: Stack, point: string, args: string[]): Promise<CliResult> {
  return runAgent(stack, args, { WOFLEET_KILL_AT: point });
}

async function healthLevel(stack: Stack): Promise<string> {
  const r = await runAgent(stack, ['health', '--json']);
  return (JSON.parse(r.stdout) as { level: string }).level;
}

/** init 6.4.5, two sites, optionally updated to 6.5.5. */
async function prepareServer(options: { updated: boolean }): Promise<Stack> {
  const stack = await startStack();
  try {
    await writeAgentConfig(stack);
    await must(stack, ['init', '--release', WP645]);
    for (const domain of SITES) await must(stack, ['create', domain]);
    if (options.updated) await must(stack, ['update', '--release', WP655]);
    return stack;
  } catch (err) {
    await stack.stop().catch(() => undefined);
    throw err;
  }
}

// ---------------------------------------------------------------------------------------

let servers: { switch: Promise<Stack>; renamed: Promise<Stack>; rollback: Promise<Stack> };

beforeAll(() => {
  servers = {
    switch: prepareServer({ updated: false }),
    renamed: prepareServer({ updated: false }),
    rollback: prepareServer({ updated: true }),
  };
  // Awaited by each describe; a failure is reported there, not as an unhandled rejection.
  for (const p of Object.values(servers)) p.catch(() => undefined);
});

afterAll(async () => {
  for (const p of Object.values(servers)) await (await p.catch(() => undefined))?.stop();
});

describe('killed at switch:before-rename (update 6.4.5 -> 6.5.5, canary step done)', () => {
  let stack: Stack;
  let before: Observation;
  let crash: CliResult;
  let after: Observation;
  let status: CliResult;
  let rerun: CliResult;
  let recovered: Observation;

  beforeAll(async () => {
    stack = await servers.switch;
    before = await observe(stack);
    crash = await killedAt(stack, 'switch:before-rename', ['update', '--release', WP655]);
    after = await observe(stack);
    status = await runAgent(stack, ['status', '--json']);
    rerun = await runAgent(stack, ['update', '--release', WP655]);
    recovered = await observe(stack);
  });

  it('dies by SIGKILL', () => {
    expect(crash.signal, crash.stderr).toBe('SIGKILL');
    expect(crash.code).toBeNull();
  });

  it('leaves current on the complete 6.4.5 release it pointed at before', () => {
    expect(after.current).toBe(before.current);
    expect(after.releases[after.current ?? '']).toBe('6.4.5');
  });

  it('leaves canary on the newly staged, complete 6.5.5 release', () => {
    expect(after.canary).not.toBe(before.canary);
    expect(after.releases[after.canary ?? '']).toBe('6.5.5');
  });

  it('leaves the canary site on the canary link and the other site on current', () => {
    expect(Object.fromEntries(SITES.map((d) => [d, after.sites[d]?.link]))).toEqual({ 'a.test': 'canary', 'b.test': 'current' });
  });

  it('keeps every site answering 200 with the release its link points at', () => {
    expect(statuses(after), stack.logs()).toEqual([200, 200]);
    expect(servedVersions(after)).toEqual(expectedVersions(after));
    expect(servedVersions(after)).toEqual({ 'a.test': '6.5.5', 'b.test': '6.4.5' });
  });

  it('leaves the update recorded as running, not finished', () => {
    const record = after.state.updates.at(-1);

    expect(record).toMatchObject({ from: before.current, to: after.canary, outcome: 'running' });
    expect(record?.finishedAt).toBeUndefined();
  });

  it("leaves the dead command's lock behind", () => {
    expect(after.lock?.command).toBe(`update --release ${WP655}`);
    expect(isAlive(after.lock?.pid ?? process.pid)).toBe(false);
  });

  it('status --json still answers with current 6.4.5 and canary 6.5.5', () => {
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ current: { id: before.current, version: '6.4.5' }, canary: { version: '6.5.5' } });
  });

  it("rerunning the update takes over the dead command's lock and releases it", () => {
    expect(rerun.stderr).not.toMatch(mentionsLock);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(recovered.lock).toBeUndefined();
  });

  it('rerunning the update switches every site to 6.5.5', () => {
    expect(recovered.releases[recovered.current ?? '']).toBe('6.5.5');
    expect(statuses(recovered), stack.logs()).toEqual([200, 200]);
    expect(servedVersions(recovered)).toEqual({ 'a.test': '6.5.5', 'b.test': '6.5.5' });
  });

  // After the recovered update, the update's rollback must still restore the DBs of 6.4.5.
  it('rollback --restore-db after the recovered update returns every site to 6.4.5 with its 6.4.5 DB', async () => {
    const rollback = await runAgent(stack, ['rollback', '--restore-db']);
    const back = await observe(stack);

    expect(rollback.code, rollback.stderr).toBe(0);
    expect(servedVersions(back)).toEqual({ 'a.test': '6.4.5', 'b.test': '6.4.5' });
    expect(await healthLevel(stack)).toBe('ok');
  });
});

describe('killed at switch:after-rename (update 6.4.5 -> 6.5.5)', () => {
  let stack: Stack;
  let before: Observation;
  let crash: CliResult;
  let after: Observation;
  let status: CliResult;
  let rerun: CliResult;
  let recovered: Observation;

  beforeAll(async () => {
    stack = await servers.renamed;
    before = await observe(stack);
    crash = await killedAt(stack, 'switch:after-rename', ['update', '--release', WP655]);
    after = await observe(stack);
    status = await runAgent(stack, ['status', '--json']);
    rerun = await runAgent(stack, ['update', '--release', WP655]);
    recovered = await observe(stack);
  });

  it('dies by SIGKILL', () => {
    expect(crash.signal, crash.stderr).toBe('SIGKILL');
    expect(crash.code).toBeNull();
  });

  it('leaves current on the NEW complete 6.5.5 release, and canary with it', () => {
    expect(after.current).not.toBe(before.current);
    expect(after.releases[after.current ?? '']).toBe('6.5.5');
    expect(after.canary).toBe(after.current);
  });

  it('records the old release as previous', () => {
    expect(after.state.previous).toBe(before.current);
  });

  it('leaves the update recorded as running, not finished', () => {
    const record = after.state.updates.at(-1);

    expect(record).toMatchObject({ from: before.current, to: after.current, outcome: 'running' });
    expect(record?.finishedAt).toBeUndefined();
  });

  it('keeps every site answering 200 with the new 6.5.5 core', () => {
    expect(statuses(after), stack.logs()).toEqual([200, 200]);
    expect(servedVersions(after)).toEqual(expectedVersions(after));
    expect(servedVersions(after)).toEqual({ 'a.test': '6.5.5', 'b.test': '6.5.5' });
  });

  it("leaves the dead command's lock behind", () => {
    expect(after.lock?.command).toBe(`update --release ${WP655}`);
    expect(isAlive(after.lock?.pid ?? process.pid)).toBe(false);
  });

  it('status --json still answers with current 6.5.5', () => {
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ current: { id: after.current, version: '6.5.5' } });
  });

  it("rerunning the update takes over the dead command's lock and releases it", () => {
    expect(rerun.stderr).not.toMatch(mentionsLock);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(recovered.lock).toBeUndefined();
  });

  // The crash came before the other sites' DB upgrades: the rerun must do them.
  it('rerunning the update finishes it: every site DB is upgraded and health is ok', async () => {
    expect(await healthLevel(stack)).toBe('ok');
  });

  it('rerunning the update finishes it: no update is left recorded as running', () => {
    expect(recovered.state.updates.filter((u) => u.outcome === 'running')).toEqual([]);
  });
});

describe('on a server updated to 6.5.5', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await servers.rollback;
  });

  describe('killed at rollback:after-switch (rollback --restore-db to 6.4.5)', () => {
    let before: Observation;
    let crash: CliResult;
    let after: Observation;
    let status: CliResult;
    let rerun: CliResult;
    let afterRerun: Observation;

    beforeAll(async () => {
      before = await observe(stack);
      crash = await killedAt(stack, 'rollback:after-switch', ['rollback', '--restore-db']);
      after = await observe(stack);
      status = await runAgent(stack, ['status', '--json']);
      rerun = await runAgent(stack, ['rollback', '--restore-db']);
      afterRerun = await observe(stack);
    });

    it('dies by SIGKILL', () => {
      expect(crash.signal, crash.stderr).toBe('SIGKILL');
      expect(crash.code).toBeNull();
    });

    it('leaves current and canary on the complete 6.4.5 release recorded as previous', () => {
      expect(after.current).toBe(before.state.previous);
      expect(after.canary).toBe(after.current);
      expect(after.releases[after.current ?? '']).toBe('6.4.5');
    });

    it('keeps every site answering 200 with 6.4.5', () => {
      expect(statuses(after), stack.logs()).toEqual([200, 200]);
      expect(servedVersions(after)).toEqual(expectedVersions(after));
      expect(servedVersions(after)).toEqual({ 'a.test': '6.4.5', 'b.test': '6.4.5' });
    });

    it("leaves the dead command's lock behind", () => {
      expect(after.lock?.command).toMatch(/^rollback/);
      expect(isAlive(after.lock?.pid ?? process.pid)).toBe(false);
    });

    it('status --json still answers with current 6.4.5', () => {
      expect(status.code, status.stderr).toBe(0);
      expect(JSON.parse(status.stdout)).toMatchObject({ current: { id: after.current, version: '6.4.5' } });
    });

    it("the next rollback is not blocked by the dead command's lock and releases it", () => {
      expect(rerun.stderr).not.toMatch(mentionsLock);
      expect(afterRerun.lock).toBeUndefined();
    });

    // The crash came before the DB restore: sites run 6.4.5 on a 6.5.5 schema until it is done.
    it('rerunning the rollback finishes it: the DBs are restored and health is ok', async () => {
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(await healthLevel(stack)).toBe('ok');
    });

    it('a new update to 6.5.5 afterwards succeeds on every site', async () => {
      const update = await runAgent(stack, ['update', '--release', WP655]);
      const updated = await observe(stack);

      expect(update.code, update.stderr).toBe(0);
      expect(servedVersions(updated)).toEqual({ 'a.test': '6.5.5', 'b.test': '6.5.5' });
    });
  });

  describe('killed while staging a release', () => {
    /** 6.5.5 re-packed with `n` extra zero blocks: the same core under a new digest, so every update stages anew. */
    let variantDir: string;
    const variant = (n: number) => path.join(variantDir, `v${n}`, 'wordpress-6.5.5.tar.gz');
    let server: http.Server;
    let baseUrl: string;

    beforeAll(async () => {
      variantDir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-crash-variants-'));
      const tar = gunzipSync(await readFile(WP655));
      for (const n of [1, 2, 3]) {
        const bytes = gzipSync(Buffer.concat([tar, Buffer.alloc(512 * n)]));
        await mkdir(path.dirname(variant(n)), { recursive: true });
        await writeFile(variant(n), bytes);
        await writeFile(`${variant(n)}.sha256`, `${createHash('sha256').update(bytes).digest('hex')}\n`);
      }
      server = http.createServer((req, res) => {
        const file = path.join(variantDir, path.normalize(decodeURIComponent(req.url ?? '/')));
        if (!file.startsWith(variantDir) || !existsSync(file)) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(readFileSync(file));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      if (variantDir) await rm(variantDir, { recursive: true, force: true });
    });

    const POINTS = [
      {
        point: 'stage:after-download',
        n: 1,
        source: () => `${baseUrl}/v1/wordpress-6.5.5.tar.gz`,
        leftover: /^download-[0-9a-f]+\.tar\.gz$/,
      },
      { point: 'stage:after-extract', n: 2, source: () => variant(2), leftover: /^tmp-[0-9a-f]+$/ },
      { point: 'stage:before-rename', n: 3, source: () => variant(3), leftover: /^tmp-[0-9a-f]+$/ },
    ] as const;

    for (const { point, n, source, leftover } of POINTS)
      describe(`killed at ${point}`, () => {
        let before: Observation;
        let crash: CliResult;
        let after: Observation;
        let status: CliResult;
        let next: CliResult;
        let recovered: Observation;

        beforeAll(async () => {
          before = await observe(stack);
          crash = await killedAt(stack, point, ['update', '--release', source()]);
          after = await observe(stack);
          status = await runAgent(stack, ['status', '--json']);
          next = await runAgent(stack, ['update', '--release', variant(n)]);
          recovered = await observe(stack);
        });

        it('dies by SIGKILL', () => {
          expect(crash.signal, crash.stderr).toBe('SIGKILL');
          expect(crash.code).toBeNull();
        });

        it('leaves current, canary and the complete releases exactly as they were', () => {
          expect({ current: after.current, canary: after.canary, releases: after.releases }).toEqual({
            current: before.current,
            canary: before.canary,
            releases: before.releases,
          });
          expect(after.releases[after.current ?? '']).toBe('6.5.5');
        });

        it('keeps every site answering 200 with the release current points at', () => {
          expect(statuses(after), stack.logs()).toEqual([200, 200]);
          expect(servedVersions(after)).toEqual(expectedVersions(after));
        });

        it('leaves its partial work only inside releases/.staging', () => {
          expect(after.staging).toEqual([expect.stringMatching(leftover)]);
          expect(after.markerless).toEqual([]);
        });

        it("leaves the dead command's lock behind", () => {
          expect(after.lock?.command).toBe(`update --release ${source()}`);
          expect(isAlive(after.lock?.pid ?? process.pid)).toBe(false);
        });

        it('status --json still answers with the same current release', () => {
          expect(status.code, status.stderr).toBe(0);
          expect(JSON.parse(status.stdout)).toMatchObject({ current: { id: before.current } });
        });

        it("the next update takes over the dead command's lock and releases it", () => {
          expect(next.stderr).not.toMatch(mentionsLock);
          expect(next.code, next.stderr).toBe(0);
          expect(recovered.lock).toBeUndefined();
        });

        it('the next update removes the leftovers in releases/.staging', () => {
          expect(recovered.staging).toEqual([]);
          expect(recovered.markerless).toEqual([]);
        });

        it('the next update switches every site to its release', () => {
          expect(recovered.current).not.toBe(before.current);
          expect(recovered.releases[recovered.current ?? '']).toBe('6.5.5');
          expect(statuses(recovered), stack.logs()).toEqual([200, 200]);
          expect(servedVersions(recovered)).toEqual(expectedVersions(recovered));
        });
      });

    // No kill point can leave one (the marker is written before the rename), but a copy
    // interrupted by other means can: a release dir without its marker is incomplete.
    it('the next mutating command removes a release directory that has no marker', async () => {
      const partial = path.join(stack.sharedRoot, 'releases', 'wp-6.5.5-20000101T000000Z');
      await mkdir(path.join(partial, 'wp-includes'), { recursive: true });
      await writeFile(path.join(partial, 'wp-includes', 'version.php'), "<?php $wp_version = '6.5.5';\n");

      const prune = await runAgent(stack, ['prune']);

      expect(prune.code, prune.stderr).toBe(0);
      expect(existsSync(partial)).toBe(false);
    });
  });
});
