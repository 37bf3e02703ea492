import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '@wofleet/shared';
import { confineToMirrorDir } from '../src/releases/index.js';

let root: string;
let mirror: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-mirror-'));
  mirror = path.join(root, 'mirror');
  await mkdir(path.join(mirror, '6.5'), { recursive: true });
  await writeFile(path.join(mirror, '6.5', 'wp.tar.gz'), 'archive');
  await writeFile(path.join(root, 'secret'), 'not a release');
  await symlink(path.join(root, 'secret'), path.join(mirror, 'escape.tar.gz'));
  await symlink(root, path.join(mirror, 'up'));
  await symlink(path.join(mirror, '6.5', 'wp.tar.gz'), path.join(mirror, 'latest.tar.gz'));
  await symlink(mirror, path.join(root, 'mirror-link'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a file source sent over gRPC', () => {
  it('is refused when releases.mirrorDir is unset', async () => {
    await expect(confineToMirrorDir(path.join(mirror, '6.5', 'wp.tar.gz'), undefined)).rejects.toThrow(
      /is a file on this server: the controller may send only http\(s\) URLs and versions unless releases\.mirrorDir is set/,
    );
  });

  it('inside the mirror dir is staged by its real path', async () => {
    expect(await confineToMirrorDir(path.join(mirror, '6.5', 'wp.tar.gz'), mirror)).toBe(path.join(mirror, '6.5', 'wp.tar.gz'));
    expect(await confineToMirrorDir(path.join(mirror, 'latest.tar.gz'), mirror)).toBe(path.join(mirror, '6.5', 'wp.tar.gz'));
    expect(await confineToMirrorDir(path.join(root, 'mirror-link', '6.5', 'wp.tar.gz'), path.join(root, 'mirror-link'))).toBe(
      path.join(mirror, '6.5', 'wp.tar.gz'),
    );
  });

  it.each([
    ['a path outside it', () => '/etc/passwd'],
    ['a .. escape', () => path.join(mirror, '6.5', '..', '..', 'secret')],
    ['a symlink out of it', () => path.join(mirror, 'escape.tar.gz')],
    ['a path through a symlinked directory out of it', () => path.join(mirror, 'up', 'secret')],
    ['the mirror dir itself', () => mirror],
    ['a missing file outside it (its existence is not told)', () => path.join(root, 'missing.tar.gz')],
  ])('is refused for %s', async (_what, file) => {
    const attempt = confineToMirrorDir(file(), mirror);
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(`is outside releases.mirrorDir ${mirror}`);
  });

  it('missing inside the mirror dir is not found', async () => {
    await expect(confineToMirrorDir(path.join(mirror, 'missing.tar.gz'), mirror)).rejects.toThrow(NotFoundError);
  });
});
