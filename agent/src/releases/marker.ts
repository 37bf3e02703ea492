import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * `.wofleet-release.json`, written inside a release as the LAST step of staging.
 * Its presence (and validity) is what makes a directory in releases/ a complete
 * release: a crash at any earlier point leaves a directory without it, which
 * cleanup removes.
 */
export const RELEASE_MARKER = '.wofleet-release.json';

/** Release ids are directory names: wp-<version>-<YYYYMMDDTHHMMSSZ>[-N]. */
export const RELEASE_ID = /^wp-[0-9A-Za-z.-]+-\d{8}T\d{6}Z(?:-\d+)?$/;

const markerSchema = z
  .object({
    id: z.string().regex(RELEASE_ID),
    version: z.string().min(1),
    dbVersion: z.number().int().nonnegative(),
    digest: z.object({ algorithm: z.enum(['sha1', 'sha256']), hex: z.string().regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/) }),
    archiveSha256: z.string().regex(/^[0-9a-f]{64}$/),
    stagedAt: z.iso.datetime(),
    files: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    newBytes: z.number().int().nonnegative(),
  })
  .strict();

export type ReleaseMarker = z.output<typeof markerSchema>;

/** What a staging reports of its release (a StageRelease operation's result, kept in the operation journal). */
export const stagedReleaseSchema = z.object(
  markerSchema.pick({ id: true, version: true, dbVersion: true, digest: true, stagedAt: true, files: true, bytes: true }).shape,
);

/** The marker of `dir`, or undefined when it is absent, unreadable or invalid (an incomplete release). */
export async function readReleaseMarker(dir: string): Promise<ReleaseMarker | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, RELEASE_MARKER), 'utf8');
  } catch {
    return undefined;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = markerSchema.safeParse(data);
  // A marker copied into another directory does not make that directory a release.
  if (!parsed.success || parsed.data.id !== path.basename(dir)) return undefined;
  return parsed.data;
}

/** Written read-only like every file of a release. */
export async function writeReleaseMarker(dir: string, marker: ReleaseMarker): Promise<void> {
  await writeFile(path.join(dir, RELEASE_MARKER), `${JSON.stringify(marker, null, 2)}\n`, { mode: 0o444, flag: 'wx' });
}
