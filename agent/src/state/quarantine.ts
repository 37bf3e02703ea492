import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { z } from 'zod';

/**
 * A damaged file in a directory the agent reads as a whole (operation journal,
 * event outbox) is moved aside rather than left to stop every reader: kept for an
 * operator to read in `quarantine/` inside that directory, as `<name>.<UTC stamp>`.
 */
export const QUARANTINE_DIR = 'quarantine';

export interface QuarantinedFile {
  /** The file's name where it was found. */
  name: string;
  movedTo: string;
  reason: string;
}

export async function quarantineFile(file: string, reason: string, now: Date): Promise<QuarantinedFile> {
  const dir = path.join(path.dirname(file), QUARANTINE_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const name = path.basename(file);
  const movedTo = path.join(dir, `${name}.${now.toISOString().replace(/[-:.]/g, '')}`);
  await rename(file, movedTo);
  return { name, movedTo, reason };
}

/** How many files were quarantined out of `dir` (0 when none ever was). */
export async function countQuarantined(dir: string): Promise<number> {
  return (await readdir(path.join(dir, QUARANTINE_DIR)).catch(() => [] as string[])).length;
}

/**
 * What `text` holds by `schema`, or why the file is damaged. Never the parser's
 * message: it quotes the file's bytes, which belong in the quarantined file only.
 */
export function parseOrDamage<T>(text: string, schema: z.ZodType<T>): { value: T } | { damaged: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { damaged: 'not JSON' };
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { value: parsed.data };
  const issue = parsed.error.issues[0];
  return { damaged: `${issue?.path.join('.') || '(whole file)'}: ${issue?.message}` };
}
