import { open } from 'node:fs/promises';

/**
 * About what extracting a .tar.gz takes on disk, read before a byte is written:
 * gzip's trailer records the uncompressed size (ISIZE, modulo 4 GiB), plus a
 * quarter for filesystem blocks (a core is ~1,500 small files, each rounded up
 * to a block). Read after the digest check, so the trailer is the publisher's;
 * capped at `maxUnpackedBytes`, where extraction stops anyway.
 */
export async function estimateUnpackedBytes(archive: string, maxUnpackedBytes: number): Promise<number> {
  const file = await open(archive, 'r');
  try {
    const { size } = await file.stat();
    if (size < 18) return maxUnpackedBytes;
    const trailer = Buffer.alloc(4);
    await file.read(trailer, 0, 4, size - 4);
    const unpacked = trailer.readUInt32LE(0);
    return Math.min(unpacked + Math.ceil(unpacked / 4), maxUnpackedBytes);
  } finally {
    await file.close();
  }
}
