import { lstat, mkdtemp, readdir, readFile, readlink, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { switchLink, writeFileAtomic } from '../src/state/atomic-file.js';

const tmp = () => mkdtemp(path.join(os.tmpdir(), 'wofleet-atomic-'));

describe('switchLink', () => {
  it('replaces a link without a moment where it is missing', async () => {
    const dir = await tmp();
    const link = path.join(dir, 'current');
    await symlink('releases/a', link);
    let missing = 0;
    let running = true;
    const watcher = (async () => {
      while (running) {
        try {
          await readlink(link);
        } catch {
          missing++;
        }
      }
    })();
    for (let i = 0; i < 200; i++) await switchLink(link, i % 2 ? 'releases/a' : 'releases/b');
    running = false;
    await watcher;
    expect(missing).toBe(0);
    expect(await readlink(link)).toBe('releases/a');
  });

  it('leaves no temp entries behind', async () => {
    const dir = await tmp();
    await switchLink(path.join(dir, 'current'), 'releases/x');
    expect(await readdir(dir)).toEqual(['current']);
    expect((await lstat(path.join(dir, 'current'))).isSymbolicLink()).toBe(true);
  });
});

describe('writeFileAtomic', () => {
  it('writes content with the given mode', async () => {
    const file = path.join(await tmp(), 'sub', 'state.json');
    await writeFileAtomic(file, '{"a":1}', 0o600);
    expect(await readFile(file, 'utf8')).toBe('{"a":1}');
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
  });
});
