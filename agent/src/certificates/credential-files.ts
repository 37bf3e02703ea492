import { readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { TlsFiles } from '@wofleet/shared';
import { fsyncDir, writeFileAtomic } from '../state/atomic-file.js';

/**
 * The agent's key and certificate change together (enrollment, renewal). Each is
 * written complete beside its final name (`<file>.next`), then both are renamed into
 * place. A crash between the two renames would leave a key that does not match its
 * certificate, so `settleCredentialFiles` (run before the daemon loads them) finishes
 * any pair whose `.next` files are both there: the new pair was complete before the
 * first rename.
 */
const NEXT = '.next';

export async function replaceCredentials(
  files: Pick<TlsFiles, 'certFile' | 'keyFile'>,
  pair: { certPem: string; keyPem: string },
): Promise<void> {
  await writeFileAtomic(`${files.keyFile}${NEXT}`, pair.keyPem, 0o600);
  await writeFileAtomic(`${files.certFile}${NEXT}`, pair.certPem, 0o644);
  await settleCredentialFiles(files);
}

export async function settleCredentialFiles(files: Pick<TlsFiles, 'certFile' | 'keyFile'>): Promise<void> {
  const cert = `${files.certFile}${NEXT}`;
  const key = `${files.keyFile}${NEXT}`;
  if (!(await exists(cert))) {
    // The key alone: the new pair never got complete, or the cert was renamed already (then no key.next is left).
    await rm(key, { force: true });
    return;
  }
  if (await exists(key)) await rename(key, files.keyFile);
  await rename(cert, files.certFile);
  await fsyncDir(path.dirname(files.certFile));
  if (path.dirname(files.keyFile) !== path.dirname(files.certFile)) await fsyncDir(path.dirname(files.keyFile));
}

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

/**
 * Where the agent enrolled: renewal and the revocation list are asked of the same
 * controller. Written by `enroll` to `<stateDir>/enrollment.json`; the config's
 * `controller.address` wins when set (the controller moved).
 */
const enrollmentRecordSchema = z.object({ controller: z.string().min(1).max(300) }).strict();
export type EnrollmentRecord = z.infer<typeof enrollmentRecordSchema>;

export function enrollmentRecordFile(stateDir: string): string {
  return path.join(stateDir, 'enrollment.json');
}

export async function writeEnrollmentRecord(stateDir: string, record: EnrollmentRecord): Promise<void> {
  await writeFileAtomic(enrollmentRecordFile(stateDir), `${JSON.stringify(record)}\n`, 0o644);
}

export async function readEnrollmentRecord(stateDir: string): Promise<EnrollmentRecord | undefined> {
  const text = await readFile(enrollmentRecordFile(stateDir), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = enrollmentRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
