import { cp, mkdir, mkdtemp, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, silentLogger, UsageError } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { layoutOf, type Layout } from '../src/config/paths.js';
import {
  findReleaseByDigest,
  isCompleteRelease,
  listReleases,
  readRelease,
  removeTree,
  resolveReleaseRef,
  stageRelease,
  type StagedRelease,
} from '../src/releases/index.js';
import { minimalWordPress, writeArchive } from '../../tests/support/archives.js';

let root: string;
let layout: Layout;
/** Staged a minute apart: 6.4.5, 6.5.5, 6.5.5 again (another archive). */
let staged: StagedRelease[];

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-catalog-'));
  const config = makeAgentConfig({
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
  });
  layout = layoutOf(config);
  let clock = Date.parse('2024-07-01T00:00:00Z');
  const ctx = {
    config,
    layout,
    log: silentLogger(),
    now: () => {
      clock += 60_000;
      return new Date(clock);
    },
  };
  const archives = [
    await writeArchive(root, 'a.tar.gz', minimalWordPress({ version: '6.4.5' })),
    await writeArchive(root, 'b.tar.gz', minimalWordPress({ version: '6.5.5', dbVersion: 57155 })),
    await writeArchive(root, 'c.tar.gz', [
      ...minimalWordPress({ version: '6.5.5', dbVersion: 57155 }),
      { path: 'wordpress/patched.txt', content: 'x' },
    ]),
  ];
  staged = [];
  for (const archive of archives) staged.push(await stageRelease(ctx, { source: archive.file }));
});

afterAll(async () => {
  await removeTree(root);
});

const ids = () => staged.map((r) => r.id);

describe('release catalog', () => {
  it('lists complete releases oldest first, with their paths', async () => {
    const releases = await listReleases(layout);
    expect(releases.map((r) => r.id)).toEqual(ids());
    const { reused, ...first } = staged[0] as StagedRelease;
    expect(reused).toBe(false);
    expect(releases[0]).toEqual(first);
  });

  it('does not list a directory without a marker, nor one with a marker copied from another release', async () => {
    await mkdir(path.join(layout.releasesDir, 'wp-6.6-20240801T000000Z'));
    const copy = path.join(layout.releasesDir, 'wp-6.4.5-20240801T000000Z');
    await cp(staged[0]?.path as string, copy, { recursive: true });
    expect((await listReleases(layout)).map((r) => r.id)).toEqual(ids());
    expect(await isCompleteRelease(copy)).toBe(false);
    await removeTree(copy);
    await removeTree(path.join(layout.releasesDir, 'wp-6.6-20240801T000000Z'));
  });

  it('reads one release by id', async () => {
    expect(await readRelease(layout, staged[1]?.id as string)).toMatchObject({ version: '6.5.5', dbVersion: 57155 });
  });

  it('names the known releases when an id is unknown', async () => {
    const attempt = readRelease(layout, 'wp-6.0-20200101T000000Z');
    await expect(attempt).rejects.toThrow(NotFoundError);
    await expect(attempt).rejects.toThrow(`unknown release wp-6.0-20200101T000000Z; known: ${ids().join(', ')}`);
  });

  it('refuses an id that could be a path', async () => {
    await expect(readRelease(layout, '../../etc')).rejects.toThrow(UsageError);
  });

  it('resolves --to given as an id', async () => {
    expect((await resolveReleaseRef(layout, staged[1]?.id as string)).id).toBe(staged[1]?.id);
  });

  it('resolves --to given as a version to the newest release of it', async () => {
    expect((await resolveReleaseRef(layout, '6.5.5')).id).toBe(staged[2]?.id);
    expect((await resolveReleaseRef(layout, '6.4.5')).id).toBe(staged[0]?.id);
  });

  it('refuses --to naming a version that is not staged, or neither an id nor a version', async () => {
    await expect(resolveReleaseRef(layout, '6.7')).rejects.toThrow(/no staged release of WordPress 6\.7; known: /);
    await expect(resolveReleaseRef(layout, 'yesterday')).rejects.toThrow(UsageError);
  });

  it('finds a release by the sha256 of its archive', async () => {
    expect((await findReleaseByDigest(layout, staged[1]?.archiveSha256 as string))?.id).toBe(staged[1]?.id);
    expect(await findReleaseByDigest(layout, '0'.repeat(64))).toBeUndefined();
  });

  it('does not count a symlink to a release as a complete release', async () => {
    const link = path.join(root, 'link');
    await symlink(staged[0]?.path as string, link);
    expect(await isCompleteRelease(staged[0]?.path as string)).toBe(true);
    expect(await isCompleteRelease(link)).toBe(false);
  });
});
