import { open, stat } from 'node:fs/promises';

/**
 * What a log file grew by between two moments: `mark` before, `readSince` after. Only the
 * appended bytes are read, at most `maxBytes` of them; a log rotated in between (now
 * shorter than the mark) is read from its start. A missing log reads as empty: a site
 * made by hand may log elsewhere.
 */
export async function markLog(file: string): Promise<number> {
  return stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

export async function readSince(file: string, offset: number, maxBytes: number): Promise<string> {
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const { size } = await handle.stat();
    const from = size < offset ? 0 : offset;
    const length = Math.min(size - from, maxBytes);
    if (length <= 0) return '';
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, from);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
