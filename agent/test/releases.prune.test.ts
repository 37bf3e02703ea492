import { chmod, lstat, mkdir, mkdtemp, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { layoutOf } from '../src/config/paths.js';
import {
  cleanupStaging,
  listReleases,
  pruneReleases,
  RELEASE_MARKER,
  removeTree,
  stageRelease,
  type StageContext,
  type StagedRelease,
} from '../src/releases/index.js';
import { FIXTURE_645, FIXTURE_655, minimalWordPress, writeArchive } from '../../tests/support/archives.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await removeTree(root);
});

async function makeContext(): Promise<StageContext & { root: string; tick: () => void }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-prune-'));
  roots.push(root);
  const config = makeAgentConfig({
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
  });
  let clock = Date.parse('2024-07-01T00:00:00Z');
  return { root, config, layout: layoutOf(config), log: silentLogger(), now: () => new Date(clock), tick: () => (clock += 60_000) };
}

/** `count` small releases staged a minute apart, oldest first. */
async function stageSeveral(ctx: Awaited<ReturnType<typeof makeContext>>, count: number): Promise<StagedRelease[]> {
  const staged: StagedRelease[] = [];
  for (let i = 1; i <= count; i++) {
    const archive = await writeArchive(ctx.root, `wp-${i}.tar.gz`, minimalWordPress({ version: `6.4.${i}` }));
    staged.push(await stageRelease(ctx, { source: archive.file }));
    ctx.tick();
  }
  return staged;
}

describe('pruneReleases', () => {
  it('keeps the newest `keep` releases and every protected one, removing the rest oldest first', async () => {
    const ctx = await makeContext();
    const [r1, r2, r3, r4, r5] = (await stageSeveral(ctx, 5)).map((r) => r.id);

    const result = await pruneReleases(ctx.layout, { keep: 2, protect: [r1 as string] });

    expect(result.removed).toEqual([r2, r3]);
    expect((await listReleases(ctx.layout)).map((r) => r.id)).toEqual([r1, r4, r5]);
    expect(result.freedBytes).toBeGreaterThan(0);
  });

  it('reports the bytes actually freed, not counting files still linked from a kept release', async () => {
    const ctx = await makeContext();
    const older = await stageRelease(ctx, { source: FIXTURE_645 });
    ctx.tick();
    const newer = await stageRelease(ctx, { source: FIXTURE_655, dedupeAgainst: older.path });
    const markerBytes = (await stat(path.join(older.path, RELEASE_MARKER))).size;

    const result = await pruneReleases(ctx.layout, { keep: 1, protect: [] });

    expect(result.removed).toEqual([older.id]);
    const sharedBytes = newer.bytes - newer.newBytes;
    expect(result.freedBytes).toBe(older.bytes - sharedBytes + markerBytes);
    // The files the newer release shared are still there, now with a single link.
    expect((await lstat(path.join(newer.path, 'wp-includes/class-wp-error.php'))).nlink).toBe(1);
  });

  it('never removes what current or canary point at, even when not listed as protected', async () => {
    const ctx = await makeContext();
    const [r1, r2, r3] = (await stageSeveral(ctx, 3)).map((r) => r.id);
    await symlink(path.join('releases', r1 as string), ctx.layout.current);
    await symlink(path.join('releases', r2 as string), ctx.layout.canary);

    const result = await pruneReleases(ctx.layout, { keep: 1, protect: [] });

    expect(result.removed).toEqual([]);
    expect((await listReleases(ctx.layout)).map((r) => r.id)).toEqual([r1, r2, r3]);
  });

  it('does nothing when there are no more releases than `keep`', async () => {
    const ctx = await makeContext();
    await stageSeveral(ctx, 2);
    expect(await pruneReleases(ctx.layout, { keep: 3, protect: [] })).toEqual({ removed: [], freedBytes: 0 });
  });
});

describe('cleanupStaging', () => {
  it('removes staging leftovers and release directories without a marker, read-only or not', async () => {
    const ctx = await makeContext();
    const [kept] = await stageSeveral(ctx, 1);
    const { layout } = ctx;
    const tmp = path.join(layout.stagingDir, 'tmp-abc123');
    await mkdir(path.join(tmp, 'wp-admin'), { recursive: true });
    await writeFile(path.join(tmp, 'wp-admin', 'index.php'), '<?php', { mode: 0o444 });
    await chmod(path.join(tmp, 'wp-admin'), 0o555);
    await writeFile(path.join(layout.stagingDir, 'download-abc.tar.gz'), 'partial');
    const incomplete = path.join(layout.releasesDir, 'wp-6.5.5-20240701T000000Z');
    await mkdir(incomplete);
    await writeFile(path.join(incomplete, 'index.php'), '<?php');

    const removed = await cleanupStaging(layout);

    expect(removed.sort()).toEqual([incomplete, path.join(layout.stagingDir, 'download-abc.tar.gz'), tmp].sort());
    expect(await readdir(layout.stagingDir)).toEqual([]);
    expect((await listReleases(layout)).map((r) => r.id)).toEqual([kept?.id]);
  });

  it('leaves alone an incomplete directory that a core link points at, and directories not named like releases', async () => {
    const ctx = await makeContext();
    const { layout } = ctx;
    await mkdir(layout.stagingDir, { recursive: true });
    const linked = path.join(layout.releasesDir, 'wp-6.4.5-20240101T000000Z');
    await mkdir(linked);
    await symlink(path.join('releases', 'wp-6.4.5-20240101T000000Z'), layout.canary);
    const unrelated = path.join(layout.releasesDir, 'notes');
    await mkdir(unrelated);

    expect(await cleanupStaging(layout)).toEqual([]);
    expect((await readdir(layout.releasesDir)).sort()).toEqual(['.staging', 'notes', 'wp-6.4.5-20240101T000000Z']);
  });

  it('is a no-op on a fresh layout', async () => {
    const ctx = await makeContext();
    expect(await cleanupStaging(ctx.layout)).toEqual([]);
  });
});
