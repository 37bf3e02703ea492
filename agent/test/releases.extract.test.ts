import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { IntegrityError, parseDigest, silentLogger, type Digest } from '@wofleet/shared';
import type { AgentConfigInput } from '../src/config/schema.js';
import { makeAgentConfig } from '../src/config/load.js';
import { layoutOf } from '../src/config/paths.js';
import { removeTree, stageRelease, type StageContext } from '../src/releases/index.js';
import { buildTarGz, minimalWordPress, truncate, writeArchive, type TarEntrySpec } from '../../tests/support/archives.js';

const roots: string[] = [];
afterAll(async () => {
  for (const root of roots) await removeTree(root);
});

async function makeContext(limits?: AgentConfigInput['limits']): Promise<StageContext & { root: string }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'wofleet-extract-'));
  roots.push(root);
  const config = makeAgentConfig({
    sharedRoot: path.join(root, 'shared'),
    sitesRoot: path.join(root, 'www'),
    stateDir: path.join(root, 'state'),
    ...(limits ? { limits } : {}),
  });
  return { root, config, layout: layoutOf(config), log: silentLogger() };
}

/** Stage `entries` (or raw bytes) and return the error, after checking nothing was left behind. */
async function stageRejected(
  entries: readonly TarEntrySpec[] | Buffer,
  options: { limits?: AgentConfigInput['limits']; digest?: Digest } = {},
): Promise<Error> {
  const ctx = await makeContext(options.limits);
  const archive = await writeArchive(ctx.root, 'wordpress.tar.gz', entries);
  const error = await stageRelease(ctx, { source: archive.file, ...(options.digest ? { digest: options.digest } : {}) }).then(
    () => undefined,
    (err: unknown) => err as Error,
  );
  expect(error).toBeInstanceOf(IntegrityError);
  expect(await readdir(ctx.layout.releasesDir)).toEqual(['.staging']);
  expect(await readdir(ctx.layout.stagingDir)).toEqual([]);
  return error as Error;
}

const wp = minimalWordPress();

describe('safe extraction refuses', () => {
  it("an entry with a '..' segment", async () => {
    const err = await stageRejected([...wp, { path: 'wordpress/../../evil.php', content: '<?php' }]);
    expect(err.message).toBe("unsafe archive entry 'wordpress/../../evil.php': '..' path segment");
  });

  it('an entry with an absolute path', async () => {
    const err = await stageRejected([...wp, { path: '/etc/cron.d/evil', content: '* * * * * root sh' }]);
    expect(err.message).toMatch(/'\/etc\/cron\.d\/evil': absolute path/);
  });

  it('a symlink', async () => {
    const err = await stageRejected([...wp, { path: 'wordpress/wp-config.php', type: 'symlink', linkpath: '/etc/passwd' }]);
    expect(err.message).toMatch(/'wordpress\/wp-config\.php': symlink/);
  });

  it('a hardlink', async () => {
    const err = await stageRejected([...wp, { path: 'wordpress/copy.php', type: 'hardlink', linkpath: 'wordpress/index.php' }]);
    expect(err.message).toMatch(/'wordpress\/copy\.php': hardlink/);
  });

  it('a character device', async () => {
    const err = await stageRejected([...wp, { path: 'wordpress/null', type: 'chardev' }]);
    expect(err.message).toMatch(/'wordpress\/null': device file/);
  });

  it('a block device', async () => {
    const err = await stageRejected([...wp, { path: 'wordpress/sda', type: 'blockdev' }]);
    expect(err.message).toMatch(/'wordpress\/sda': device file/);
  });

  it('a fifo', async () => {
    const err = await stageRejected([...wp, { path: 'wordpress/pipe', type: 'fifo' }]);
    expect(err.message).toMatch(/'wordpress\/pipe': fifo/);
  });

  it('an archive unpacking beyond the size cap', async () => {
    const big = { path: 'wordpress/big.bin', content: Buffer.alloc(64 * 1024, 7) };
    const err = await stageRejected([...wp, big], { limits: { maxUnpackedBytes: 32 * 1024 } });
    expect(err.message).toMatch(/exceeds the unpacked size cap of 32768 bytes at 'wordpress\/big\.bin'/);
  });

  it('an archive with more entries than the file-count cap', async () => {
    const err = await stageRejected(wp, { limits: { maxFiles: 5 } });
    expect(err.message).toMatch(/exceeds the file count cap: more than 5 files and directories/);
  });

  it('an archive whose digest does not match, naming only the expected digest', async () => {
    const wrong = parseDigest('sha1', 'a'.repeat(40));
    const err = await stageRejected(wp, { digest: wrong });
    expect(err.message).toBe(`digest mismatch: the archive's sha1 is not the expected ${'a'.repeat(40)}`);
  });

  it('an archive whose digest does not match, with its actual digest in the local log only', async () => {
    const ctx = await makeContext();
    const archive = await writeArchive(ctx.root, 'wordpress.tar.gz', wp);
    const stageLog = silentLogger();
    const logged = vi.spyOn(stageLog, 'info');
    vi.spyOn(ctx.log, 'child').mockReturnValue(stageLog as never);
    const attempt = stageRelease(ctx, { source: archive.file, digest: parseDigest('sha256', 'b'.repeat(64)) });
    await expect(attempt).rejects.toThrow(IntegrityError);
    await expect(attempt).rejects.not.toThrow(archive.sha256);
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ actual: archive.sha256 }), 'archive digest mismatch');
  });

  it('a truncated gzip stream', async () => {
    // Incompressible content so the cut lands inside deflate data, after some files were written.
    const noise = Array.from({ length: 8 }, (_, i) => ({ path: `wordpress/noise-${i}.bin`, content: randomBytes(32 * 1024) }));
    const err = await stageRejected(truncate(buildTarGz([...wp, ...noise]), 0.6));
    expect(err.message).toMatch(/^corrupt or truncated gzip data: unexpected end of file/);
  });

  it('a file that is not gzip at all', async () => {
    const err = await stageRejected(Buffer.from('<html>not found</html>'));
    expect(err.message).toMatch(/not a gzip archive/);
  });

  it('an archive without a wordpress/ top directory', async () => {
    const err = await stageRejected(wp.map((e) => ({ ...e, path: e.path.replace(/^wordpress\//, 'wp/') })));
    expect(err.message).toMatch(/'wp\/': outside the top directory wordpress\//);
  });

  it('a second top directory', async () => {
    const err = await stageRejected([...wp, { path: 'extra/', type: 'dir' }, { path: 'extra/shell.php', content: '<?php' }]);
    expect(err.message).toMatch(/'extra\/': outside the top directory wordpress\//);
  });

  it('a file at the top level beside wordpress/', async () => {
    const err = await stageRejected([...wp, { path: 'README', content: 'hi' }]);
    expect(err.message).toMatch(/'README': outside the top directory wordpress\//);
  });

  it('an empty archive', async () => {
    const err = await stageRejected([]);
    expect(err.message).toMatch(/^corrupt tar archive: .*Unrecognized archive format/);
  });

  it('the same path twice (a later entry silently replacing an earlier one)', async () => {
    const err = await stageRejected([...wp, { path: 'wordpress/index.php', content: '<?php evil();' }]);
    expect(err.message).toMatch(/'wordpress\/index\.php': duplicate entry/);
  });

  it('a tree missing wp-settings.php', async () => {
    const err = await stageRejected(minimalWordPress({ omit: ['wordpress/wp-settings.php'] }));
    expect(err.message).toBe('not a WordPress core: missing wp-settings.php');
  });

  it('a tree missing wp-includes/version.php', async () => {
    const err = await stageRejected(minimalWordPress({ omit: ['wordpress/wp-includes/version.php'] }));
    expect(err.message).toBe('not a WordPress core: missing wp-includes/version.php');
  });

  it('a version.php declaring a version that is not one', async () => {
    const err = await stageRejected(minimalWordPress({ version: '../../x' }));
    expect(err.message).toMatch(/declares an unexpected version/);
  });

  it('a corrupted tar header', async () => {
    const ctx = await makeContext();
    const tar = gunzipSync(buildTarGz(wp));
    tar[600] = tar[600] === 0x41 ? 0x42 : 0x41; // inside the second header: its checksum no longer matches
    const archive = await writeArchive(ctx.root, 'bad.tar.gz', gzipSync(tar));
    await expect(stageRelease(ctx, { source: archive.file })).rejects.toThrow(/corrupt tar archive/);
    expect(await readdir(ctx.layout.stagingDir)).toEqual([]);
  });
});

describe('safe extraction accepts', () => {
  it('long paths carried in pax headers', async () => {
    const ctx = await makeContext();
    const deep = `wordpress/wp-content/${'d'.repeat(120)}/file.php`;
    const archive = await writeArchive(ctx.root, 'long.tar.gz', [...wp, { path: deep, content: '<?php // deep' }]);
    const release = await stageRelease(ctx, { source: archive.file });
    expect(await readFile(path.join(release.path, deep.slice('wordpress/'.length)), 'utf8')).toBe('<?php // deep');
  });

  it("a leading './' on every path", async () => {
    const ctx = await makeContext();
    const archive = await writeArchive(
      ctx.root,
      'dot.tar.gz',
      wp.map((e) => ({ ...e, path: `./${e.path}` })),
    );
    const release = await stageRelease(ctx, { source: archive.file });
    expect(release.version).toBe('6.4.5');
  });

  it('files whose parent directories have no entries of their own', async () => {
    const ctx = await makeContext();
    const archive = await writeArchive(
      ctx.root,
      'implicit.tar.gz',
      wp.filter((e) => e.type !== 'dir'),
    );
    const release = await stageRelease(ctx, { source: archive.file });
    expect(await readFile(path.join(release.path, 'wp-admin', 'index.php'), 'utf8')).toBe('<?php // admin\n');
  });
});
