import { lstat, mkdtemp, readdir, readFile, stat, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IntegrityError, silentLogger } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { layoutOf } from '../src/config/paths.js';
import { RELEASE_MARKER, removeTree, stageRelease, type StageContext } from '../src/releases/index.js';
import { FIXTURE_645, FIXTURE_655, minimalWordPress, writeArchive } from '../../tests/support/archives.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await removeTree(root);
});

async function makeContext(now?: () => Date): Promise<StageContext & { root: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-stage-'));
  roots.push(root);
  const config = makeAgentConfig({
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
  });
  return { root, config, layout: layoutOf(config), log: silentLogger(), ...(now ? { now } : {}) };
}

async function countFiles(dir: string): Promise<number> {
  let count = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) if (entry.isFile()) count++;
  return count;
}

describe('stageRelease', () => {
  it('stages the 6.4.5 fixture as a read-only release carrying its versions', async () => {
    const ctx = await makeContext();
    const release = await stageRelease(ctx, { source: FIXTURE_645 });

    expect(release).toMatchObject({ version: '6.4.5', dbVersion: 56657, reused: false });
    expect(release.id).toMatch(/^wp-6\.4\.5-\d{8}T\d{6}Z$/);
    expect(release.path).toBe(path.join(ctx.layout.releasesDir, release.id));
    expect(release.files).toBeGreaterThan(1300);
    expect(release.files).toBeLessThan(1600);
    expect(release.files).toBe((await countFiles(release.path)) - 1); // minus the marker
    expect(release.newBytes).toBe(release.bytes);
    expect((await stat(release.path)).mode & 0o777).toBe(0o555);
    expect((await stat(path.join(release.path, 'wp-admin'))).mode & 0o777).toBe(0o555);
    expect((await stat(path.join(release.path, 'wp-settings.php'))).mode & 0o777).toBe(0o444);
    expect(await readdir(ctx.layout.stagingDir)).toEqual([]);
  });

  it('writes the marker with id, versions, digests and counts', async () => {
    const ctx = await makeContext();
    const release = await stageRelease(ctx, { source: FIXTURE_645 });
    const marker = JSON.parse(await readFile(path.join(release.path, RELEASE_MARKER), 'utf8')) as Record<string, unknown>;
    const sha256 = (await readFile(`${FIXTURE_645}.sha256`, 'utf8')).trim();

    expect(marker).toEqual({
      id: release.id,
      version: '6.4.5',
      dbVersion: 56657,
      digest: { algorithm: 'sha256', hex: sha256 },
      archiveSha256: sha256,
      stagedAt: release.stagedAt,
      files: release.files,
      bytes: release.bytes,
      newBytes: release.newBytes,
    });
  });

  it('names the release after the version and the UTC time of staging', async () => {
    const ctx = await makeContext(() => new Date('2024-06-26T12:34:56.789Z'));
    const release = await stageRelease(ctx, { source: FIXTURE_645 });
    expect(release.id).toBe('wp-6.4.5-20240626T123456Z');
    expect(release.stagedAt).toBe('2024-06-26T12:34:56.789Z');
  });

  it('adds a -2 suffix when a release of the same version was staged in the same second', async () => {
    const ctx = await makeContext(() => new Date('2024-06-26T12:34:56Z'));
    const first = await writeArchive(ctx.root, 'a.tar.gz', minimalWordPress());
    const second = await writeArchive(ctx.root, 'b.tar.gz', [
      ...minimalWordPress(),
      { path: 'wordpress/extra.txt', content: 'different archive' },
    ]);
    expect((await stageRelease(ctx, { source: first.file })).id).toBe('wp-6.4.5-20240626T123456Z');
    expect((await stageRelease(ctx, { source: second.file })).id).toBe('wp-6.4.5-20240626T123456Z-2');
  });

  it('hard-links files identical to the previous release and writes only the rest', async () => {
    const ctx = await makeContext();
    const previous = await stageRelease(ctx, { source: FIXTURE_645 });
    const next = await stageRelease(ctx, { source: FIXTURE_655, dedupeAgainst: previous.path });

    expect(next).toMatchObject({ version: '6.5.5', dbVersion: 57155 });
    expect(next.newBytes).toBeLessThan(next.bytes);
    expect(next.newBytes).toBeGreaterThan(0);
    const same = 'wp-includes/class-wp-error.php';
    expect((await lstat(path.join(next.path, same))).ino).toBe((await lstat(path.join(previous.path, same))).ino);
    const changed = 'wp-includes/version.php';
    expect((await lstat(path.join(next.path, changed))).ino).not.toBe((await lstat(path.join(previous.path, changed))).ino);
    expect((await stat(path.join(next.path, same))).mode & 0o777).toBe(0o444);
  });

  it('follows a link to the release it should dedupe against (as `current` is passed)', async () => {
    const ctx = await makeContext();
    const previous = await stageRelease(ctx, { source: FIXTURE_645 });
    await symlink(path.join('releases', previous.id), ctx.layout.current);
    const next = await stageRelease(ctx, { source: FIXTURE_655, dedupeAgainst: ctx.layout.current });
    expect(next.newBytes).toBeLessThan(next.bytes);
  });

  it('reuses the release already staged from the same archive and writes nothing', async () => {
    const ctx = await makeContext();
    const first = await stageRelease(ctx, { source: FIXTURE_645 });
    const again = await stageRelease(ctx, { source: FIXTURE_645 });

    expect(again).toEqual({ ...first, reused: true });
    expect((await readdir(ctx.layout.releasesDir)).filter((n) => n.startsWith('wp-'))).toEqual([first.id]);
  });

  it('refuses an archive holding another version than expected and leaves nothing behind', async () => {
    const ctx = await makeContext();
    const attempt = stageRelease(ctx, { source: FIXTURE_645, expectVersion: '6.5.5' });

    await expect(attempt).rejects.toThrow(IntegrityError);
    await expect(attempt).rejects.toThrow(/version mismatch: expected WordPress 6\.5\.5, archive holds 6\.4\.5/);
    expect(await readdir(ctx.layout.releasesDir)).toEqual(['.staging']);
    expect(await readdir(ctx.layout.stagingDir)).toEqual([]);
  });

  it('reports progress lines while staging', async () => {
    const ctx = await makeContext();
    const lines: string[] = [];
    const release = await stageRelease(ctx, { source: FIXTURE_645, onProgress: (line) => lines.push(line) });
    expect(lines.at(-1)).toBe(`staged ${release.id}`);
  });
});
