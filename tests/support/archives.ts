/**
 * Release archives for tests, built at test time into a temp dir (never committed).
 * A raw ustar writer rather than node-tar's `create`: malicious entries (absolute
 * paths, '..', devices, links) must be written exactly as given, which a packer
 * reading a real filesystem will not do.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The WordPress fixtures (../shared/fixtures/wordpress beside the repo clone). */
export const FIXTURES_DIR = path.resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/fixtures/wordpress');
export const FIXTURE_645 = path.join(FIXTURES_DIR, 'wordpress-6.4.5.tar.gz');
export const FIXTURE_655 = path.join(FIXTURES_DIR, 'wordpress-6.5.5.tar.gz');

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

export interface TarEntrySpec {
  path: string;
  type?: TarEntryType;
  content?: string | Buffer;
  linkpath?: string;
  mode?: number;
}

const TYPE_FLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  chardev: '3',
  blockdev: '4',
  dir: '5',
  fifo: '6',
};

const BLOCK = 512;

/** An uncompressed tar of `entries`, in order; long paths get a pax header. */
export function buildTar(entries: readonly TarEntrySpec[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const body = type === 'file' ? toBuffer(entry.content ?? '') : Buffer.alloc(0);
    if (Buffer.byteLength(entry.path) > 100) {
      const pax = paxRecord('path', entry.path);
      blocks.push(header({ name: 'PaxHeader', flag: 'x', size: pax.length }), pad(pax));
    }
    blocks.push(
      header({
        name: entry.path.slice(0, 100),
        flag: TYPE_FLAG[type],
        size: body.length,
        mode: entry.mode ?? (type === 'dir' ? 0o755 : 0o644),
        linkname: entry.linkpath ?? '',
      }),
      pad(body),
    );
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

export function buildTarGz(entries: readonly TarEntrySpec[]): Buffer {
  return gzipSync(buildTar(entries));
}

export interface BuiltArchive {
  file: string;
  sha1: string;
  sha256: string;
}

/**
 * Write `name` into `dir`; with `digest` also the sidecar wordpress.org style
 * (hex only). Pass a Buffer as `entries` to write raw bytes (truncated gzip, ...).
 */
export async function writeArchive(
  dir: string,
  name: string,
  entries: readonly TarEntrySpec[] | Buffer,
  options: { digest?: 'sha1' | 'sha256' | 'none' } = {},
): Promise<BuiltArchive> {
  const bytes = Buffer.isBuffer(entries) ? entries : buildTarGz(entries);
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  const built = {
    file,
    sha1: createHash('sha1').update(bytes).digest('hex'),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  const digest = options.digest ?? 'sha1';
  if (digest !== 'none') await writeFile(`${file}.${digest}`, `${built[digest]}\n`);
  return built;
}

/** The smallest tree that passes core verification: what a malicious test adds to or removes from. */
export function minimalWordPress(options: { version?: string; dbVersion?: number; omit?: readonly string[] } = {}): TarEntrySpec[] {
  const version = options.version ?? '6.4.5';
  const dbVersion = options.dbVersion ?? 56657;
  const entries: TarEntrySpec[] = [
    { path: 'wordpress/', type: 'dir' },
    { path: 'wordpress/index.php', content: "<?php\nrequire __DIR__ . '/wp-blog-header.php';\n" },
    { path: 'wordpress/wp-settings.php', content: '<?php // settings\n' },
    { path: 'wordpress/wp-load.php', content: '<?php // load\n' },
    { path: 'wordpress/wp-blog-header.php', content: '<?php // blog header\n' },
    { path: 'wordpress/wp-admin/', type: 'dir' },
    { path: 'wordpress/wp-admin/index.php', content: '<?php // admin\n' },
    { path: 'wordpress/wp-includes/', type: 'dir' },
    {
      path: 'wordpress/wp-includes/version.php',
      content: `<?php\n$wp_version = '${version}';\n$wp_db_version = ${dbVersion};\n`,
    },
  ];
  const omit = new Set(options.omit ?? []);
  return entries.filter((e) => !omit.has(e.path));
}

/** The first `fraction` of a gzip file's bytes: a download cut short. */
export function truncate(bytes: Buffer, fraction = 0.5): Buffer {
  return bytes.subarray(0, Math.floor(bytes.length * fraction));
}

function header(fields: { name: string; flag: string; size: number; mode?: number; linkname?: string }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(fields.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, fields.mode ?? 0o644);
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeOctal(block, 124, 12, fields.size);
  writeOctal(block, 136, 12, 1_719_360_000);
  block.fill(0x20, 148, 156);
  block.write(fields.flag, 156, 1, 'ascii');
  block.write(fields.linkname ?? '', 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write('root', 265, 32, 'ascii');
  block.write('root', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}

function pad(data: Buffer): Buffer {
  const rest = data.length % BLOCK;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(BLOCK - rest)]);
}

function toBuffer(content: string | Buffer): Buffer {
  return Buffer.isBuffer(content) ? content : Buffer.from(content);
}
