import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../state/atomic-file.js';
import { parseOrDamage, quarantineFile, type QuarantinedFile } from '../state/quarantine.js';
import { OPERATION_ID_PATTERN } from './operation-id.js';
import type { OperationRecord } from './record.js';
import { OPERATION_STATE } from './states.js';

/**
 * The operation journal: one JSON file per operation, `<id>.json`, in the
 * operations directory. Each file is replaced whole (writeFileAtomic), so after
 * a crash it holds either the start record or the outcome, never a mix.
 * One registry owns the directory (the agent daemon).
 */
const JOURNAL_VERSION = 1;
const RECORD_SUFFIX = '.json';

const recordSchema = z.object({
  version: z.literal(JOURNAL_VERSION),
  id: z.string().regex(OPERATION_ID_PATTERN),
  kind: z.string().min(1),
  request: z.string(),
  state: z.enum(OPERATION_STATE),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  error: z.object({ kind: z.string(), message: z.string() }).optional(),
  result: z.json().optional(),
  progress: z.array(z.object({ at: z.string(), message: z.string() })),
});

function recordFile(dir: string, id: string): string {
  return path.join(dir, `${id}${RECORD_SUFFIX}`);
}

/** writeFileAtomic's temp files are `.<name>.tmp-<hex>`; one left behind means a crash mid-write. */
function isLeftoverTempFile(name: string): boolean {
  return name.startsWith('.') && name.includes(`${RECORD_SUFFIX}.tmp-`);
}

/** The record in `file`, or why it cannot be one. */
async function readRecord(file: string, id: string): Promise<OperationRecord | { damaged: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { damaged: `unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  const parsed = parseOrDamage(text, recordSchema);
  if ('damaged' in parsed) return parsed;
  if (parsed.value.id !== id) return { damaged: `holds operation ${parsed.value.id}` };
  const { version: _version, ...record } = parsed.value;
  return record;
}

export interface JournalContents {
  records: OperationRecord[];
  /** Damaged record files moved to the quarantine dir, with the operation id each was named for. */
  quarantined: (QuarantinedFile & { id: string })[];
}

/**
 * Every journaled operation, in no particular order; removes temp files left by a
 * crash and quarantines damaged records, so one bad file does not stop the agent.
 */
export async function readJournal(dir: string, now: () => Date): Promise<JournalContents> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const contents: JournalContents = { records: [], quarantined: [] };
  for (const name of await readdir(dir)) {
    if (isLeftoverTempFile(name)) {
      await rm(path.join(dir, name), { force: true });
      continue;
    }
    if (!name.endsWith(RECORD_SUFFIX)) continue;
    const id = name.slice(0, -RECORD_SUFFIX.length);
    if (!OPERATION_ID_PATTERN.test(id)) continue;
    const record = await readRecord(path.join(dir, name), id);
    if ('damaged' in record) contents.quarantined.push({ id, ...(await quarantineFile(path.join(dir, name), record.damaged, now())) });
    else contents.records.push(record);
  }
  return contents;
}

/** Mode 0600: requests and results may carry site details that are nobody else's business. */
export async function writeJournalRecord(dir: string, record: OperationRecord): Promise<void> {
  await writeFileAtomic(recordFile(dir, record.id), `${JSON.stringify({ version: JOURNAL_VERSION, ...record }, null, 2)}\n`, 0o600);
}

export async function removeJournalRecord(dir: string, id: string): Promise<void> {
  await rm(recordFile(dir, id), { force: true });
}
