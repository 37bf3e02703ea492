import { describeError, NotFoundError, silentLogger, StateError, UsageError, type Logger } from '@wofleet/shared';
import { canonicalJson, toJsonValue, type JsonValue } from './canonical-json.js';
import { ConflictError, ShuttingDownError } from './errors.js';
import { type JournalContents, readJournal, removeJournalRecord, writeJournalRecord } from './journal.js';
import { validateOperationId } from './operation-id.js';
import { compareLatestFinishedFirst, compareNewestFirst, copyRecord, type OperationRecord } from './record.js';
import { assertTransition, isTerminal, OPERATION_MESSAGE, OPERATION_STATE, type OperationState } from './states.js';

/**
 * Idempotent operations: every mutating call carries a client-chosen operation
 * id. The first call with an id runs the work once; a repeat with the same kind
 * and request gets that outcome (or attaches to it while it runs) and never runs
 * the work again. Starts and outcomes are journaled before anyone is told, so
 * what a caller saw survives a restart; an operation the process died in is
 * INTERRUPTED at the next open, never retried. The idempotency window is the
 * retention: an id pruned from the journal is new again.
 */
export const MAX_OPERATION_RECORDS = 1_000;
export const MAX_PROGRESS_MESSAGES = 200;
export const DEFAULT_LIST_LIMIT = 100;
/** The kind an operation id keeps when its journal record was found damaged and quarantined. */
export const QUARANTINED_KIND = 'quarantined-record';

export type ProgressReporter = (message: string) => void;
export type OperationWork = (progress: ProgressReporter) => Promise<unknown>;

export interface OperationEvent {
  state: OperationState;
  message: string;
  at: string;
}
export type OperationListener = (event: OperationEvent) => void;

export interface OpenOptions {
  now?: () => Date;
  log?: Logger;
  /** Finished operations kept in the journal (latest finished); older ones are pruned. */
  maxRecords?: number;
  /** Progress messages kept per operation, newest. */
  maxProgress?: number;
  /** Told of every operation that ends (succeeded, failed, or interrupted by a restart), once; must not throw. */
  onFinished?: (record: OperationRecord) => void;
}

interface Entry {
  record: OperationRecord;
  /** Settles when the operation ends; absent for operations loaded finished from the journal. */
  done?: Promise<OperationRecord>;
  /** Set once the work has returned: late progress calls are dropped. */
  finishing: boolean;
  listeners: Set<OperationListener>;
}

interface Limits {
  maxRecords: number;
  maxProgress: number;
}

/** The event that describes a record as it stands: its latest progress or its state. */
function currentEvent(record: OperationRecord): OperationEvent {
  if (isTerminal(record.state)) {
    const message = record.error?.message ?? OPERATION_MESSAGE[record.state];
    return { state: record.state, message, at: record.finishedAt ?? record.startedAt };
  }
  const last = record.progress.at(-1);
  return { state: record.state, message: last?.message ?? OPERATION_MESSAGE[record.state], at: last?.at ?? record.startedAt };
}

/** The class name, so callers can tell a HealthCheckError from a bug (TypeError). */
function errorKind(err: unknown): string {
  if (err instanceof Error) return err.constructor.name || err.name;
  return typeof err;
}

export class OperationRegistry {
  private readonly entries = new Map<string, Entry>();
  private closed = false;
  private quarantinedAtOpen: JournalContents['quarantined'] = [];

  private constructor(
    private readonly dir: string,
    private readonly now: () => Date,
    private readonly log: Logger,
    private readonly limits: Limits,
    private readonly onFinished: (record: OperationRecord) => void,
  ) {}

  /** Load the journal in `dir`; operations it shows unfinished become INTERRUPTED (persisted). */
  static async open(dir: string, options: OpenOptions = {}): Promise<OperationRegistry> {
    const registry = new OperationRegistry(
      dir,
      options.now ?? (() => new Date()),
      options.log ?? silentLogger(),
      { maxRecords: options.maxRecords ?? MAX_OPERATION_RECORDS, maxProgress: options.maxProgress ?? MAX_PROGRESS_MESSAGES },
      options.onFinished ?? (() => {}),
    );
    const journal = await readJournal(dir, registry.now);
    for (const record of journal.records) {
      const entry: Entry = { record, finishing: false, listeners: new Set() };
      registry.entries.set(record.id, entry);
      if (!isTerminal(record.state)) await registry.markInterrupted(entry);
    }
    for (const damaged of journal.quarantined) await registry.holdQuarantined(damaged);
    registry.quarantinedAtOpen = journal.quarantined;
    await registry.prune();
    return registry;
  }

  /**
   * Run `work` under operation `id`, or return / attach to the outcome of an
   * earlier call with the same id, kind and request. Resolves with the final
   * record; a failure of the work is a FAILED record, not a rejection.
   */
  async run(id: string, kind: string, request: unknown, work: OperationWork): Promise<OperationRecord> {
    validateOperationId(id);
    if (kind.length === 0) throw new UsageError(`operation ${id} has no kind`);
    const requestJson = this.canonicalRequest(id, request);
    // No await before the entry is registered: a concurrent call with the same id attaches to it.
    const existing = this.entries.get(id);
    if (existing) return this.attach(existing, kind, requestJson);
    if (this.closed) throw new ShuttingDownError(id);
    const record: OperationRecord = {
      id,
      kind,
      request: requestJson,
      state: OPERATION_STATE.pending,
      startedAt: this.now().toISOString(),
      progress: [],
    };
    const entry: Entry = { record, finishing: false, listeners: new Set() };
    this.entries.set(id, entry);
    entry.done = this.execute(entry, work);
    return entry.done;
  }

  get(id: string): OperationRecord | undefined {
    const entry = this.entries.get(id);
    return entry && copyRecord(entry.record);
  }

  /** Newest first. */
  list(options: { limit?: number } = {}): OperationRecord[] {
    const records = [...this.entries.values()].map((e) => e.record).sort(compareNewestFirst);
    return records.slice(0, options.limit ?? DEFAULT_LIST_LIMIT).map(copyRecord);
  }

  /** Ids of the operations not yet finished. */
  running(): string[] {
    return [...this.entries.values()].filter((e) => !isTerminal(e.record.state)).map((e) => e.record.id);
  }

  /**
   * Follow one operation: the listener gets its current state at once, then its
   * progress and state changes, ending with the terminal state. Returns unsubscribe.
   */
  watch(id: string, listener: OperationListener): () => void {
    const entry = this.entries.get(id);
    if (!entry) throw new NotFoundError(`no operation ${id}`);
    this.notify(listener, currentEvent(entry.record));
    if (isTerminal(entry.record.state)) return () => undefined;
    entry.listeners.add(listener);
    return () => {
      entry.listeners.delete(listener);
    };
  }

  /** The damaged journal records this registry moved to quarantine when it opened. */
  quarantined(): JournalContents['quarantined'] {
    return structuredClone(this.quarantinedAtOpen);
  }

  /** Stop accepting new operation ids (graceful shutdown); existing ones stay readable and attachable. */
  close(): void {
    this.closed = true;
  }

  /** Resolves once no operation is running. */
  async drain(): Promise<void> {
    for (;;) {
      const unfinished = [...this.entries.values()].filter((e) => !isTerminal(e.record.state)).map((e) => e.done);
      if (unfinished.length === 0) return;
      await Promise.allSettled(unfinished);
    }
  }

  private canonicalRequest(id: string, request: unknown): string {
    try {
      return canonicalJson(request);
    } catch (err) {
      throw new UsageError(`the request of operation ${id} cannot be journaled as JSON`, { cause: err });
    }
  }

  private attach(entry: Entry, kind: string, requestJson: string): Promise<OperationRecord> {
    const { record } = entry;
    if (record.kind !== kind || record.request !== requestJson) throw new ConflictError(record.id, record.kind);
    if (isTerminal(record.state) || !entry.done) return Promise.resolve(copyRecord(record));
    return entry.done;
  }

  private async execute(entry: Entry, work: OperationWork): Promise<OperationRecord> {
    const { id, kind } = entry.record;
    const log = this.log.child({ operationId: id, kind });
    const started: OperationRecord = { ...entry.record, state: OPERATION_STATE.running };
    try {
      await writeJournalRecord(this.dir, started);
    } catch (err) {
      // Not journaled means not started: forget the id so the caller may retry it.
      this.entries.delete(id);
      throw new StateError(`could not journal the start of operation ${id}`, { cause: err });
    }
    this.transition(entry, started);
    log.info('operation started');

    let outcome: Pick<OperationRecord, 'state' | 'result' | 'error'>;
    try {
      const result = this.journalableResult(await work((message) => this.reportProgress(entry, message)), log);
      outcome = result === undefined ? { state: OPERATION_STATE.succeeded } : { state: OPERATION_STATE.succeeded, result };
    } catch (err) {
      outcome = { state: OPERATION_STATE.failed, error: { kind: errorKind(err), message: describeError(err) } };
    }
    entry.finishing = true;
    const finished: OperationRecord = { ...entry.record, ...outcome, finishedAt: this.now().toISOString() };
    try {
      await writeJournalRecord(this.dir, finished);
    } catch (err) {
      // The work is done either way; after a restart the journal will say INTERRUPTED, which is safe.
      log.error({ err }, 'could not journal the outcome of an operation');
    }
    this.transition(entry, finished);
    this.onFinished(copyRecord(finished));
    log.info({ state: finished.state, error: finished.error?.message }, 'operation finished');
    await this.prune();
    return copyRecord(finished);
  }

  private journalableResult(value: unknown, log: Logger): JsonValue | undefined {
    if (value === undefined) return undefined;
    try {
      return toJsonValue(value);
    } catch (err) {
      log.error({ err }, 'operation result is not JSON; journaled without it');
      return undefined;
    }
  }

  private reportProgress(entry: Entry, message: string): void {
    if (entry.finishing || entry.record.state !== OPERATION_STATE.running) return;
    const progress = { at: this.now().toISOString(), message: String(message) };
    entry.record.progress.push(progress);
    if (entry.record.progress.length > this.limits.maxProgress) entry.record.progress.shift();
    for (const listener of entry.listeners) this.notify(listener, { state: entry.record.state, ...progress });
  }

  private async markInterrupted(entry: Entry): Promise<void> {
    const interrupted: OperationRecord = { ...entry.record, state: OPERATION_STATE.interrupted, finishedAt: this.now().toISOString() };
    await writeJournalRecord(this.dir, interrupted);
    this.transition(entry, interrupted);
    this.onFinished(copyRecord(interrupted));
    this.log.warn({ operationId: interrupted.id, kind: interrupted.kind }, 'operation was interrupted by a restart; not retried');
  }

  /**
   * A quarantined record's operation may have run, so its id stays taken (INTERRUPTED,
   * journaled anew): a repeat of the id is refused instead of running the work again.
   */
  private async holdQuarantined(damaged: JournalContents['quarantined'][number]): Promise<void> {
    const at = this.now().toISOString();
    const record: OperationRecord = {
      id: damaged.id,
      kind: QUARANTINED_KIND,
      request: '',
      state: OPERATION_STATE.interrupted,
      startedAt: at,
      finishedAt: at,
      progress: [],
    };
    await writeJournalRecord(this.dir, record);
    this.entries.set(record.id, { record, finishing: false, listeners: new Set() });
    this.log.warn(
      { operationId: damaged.id, movedTo: damaged.movedTo, reason: damaged.reason },
      'damaged operation journal record quarantined; its id stays taken',
    );
  }

  /** The only place a record changes state: checked against the table, then announced. */
  private transition(entry: Entry, next: OperationRecord): void {
    assertTransition(entry.record.state, next.state);
    entry.record = next;
    const event = currentEvent(next);
    for (const listener of entry.listeners) this.notify(listener, event);
    if (isTerminal(next.state)) entry.listeners.clear();
  }

  private notify(listener: OperationListener, event: OperationEvent): void {
    try {
      listener(event);
    } catch (err) {
      this.log.warn({ err }, 'operation watcher threw; ignored');
    }
  }

  /** Keep the `maxRecords` latest finished operations; running ones are never pruned. */
  private async prune(): Promise<void> {
    const finished = [...this.entries.values()].map((e) => e.record).filter((r) => isTerminal(r.state));
    if (finished.length <= this.limits.maxRecords) return;
    for (const record of finished.sort(compareLatestFinishedFirst).slice(this.limits.maxRecords)) {
      this.entries.delete(record.id);
      await removeJournalRecord(this.dir, record.id).catch((err: unknown) => {
        this.log.warn({ err, operationId: record.id }, 'could not prune an operation record');
      });
    }
  }
}
