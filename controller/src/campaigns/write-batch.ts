import { writeUnderLease, type Lease, type LeasedWrite } from './lease.js';
import type { CampaignEvent } from './model.js';
import type { CampaignRepository } from './repository.js';

/**
 * Group commit for the transitions of a campaign's targets. Every one of them locks
 * the campaign row (lease.ts), so they are written one after the other; the steps of
 * a wave settle together, and a transaction each (lock, update, audit row, commit)
 * makes the last of a hundred wait for ninety-nine commits. Instead, the writes asked
 * for while a transaction is under way go together into the next one: one lock, one
 * lease check, one commit. Their statements go out together (postgres.js pipelines them
 * on the transaction's connection), so a batch of N costs a round trip or two, not N;
 * each write waits only on its own. They share the outcome: all are written, or none
 * (the error goes to each caller).
 */
export type BatchedWrite = (write: LeasedWrite) => Promise<CampaignEvent[]>;

interface Queued {
  write: LeasedWrite;
  resolve(events: CampaignEvent[]): void;
  reject(err: unknown): void;
}

export function createWriteBatch(repository: CampaignRepository, lease: Lease): BatchedWrite {
  const queue: Queued[] = [];
  let flushing = false;

  async function flush(): Promise<void> {
    flushing = true;
    while (queue.length > 0) {
      const batch = queue.splice(0);
      try {
        const results = await writeUnderLease(repository, lease, (writer, row) =>
          Promise.all(batch.map((queued) => queued.write(writer, row))),
        );
        for (const [i, queued] of batch.entries()) queued.resolve(results[i] ?? []);
      } catch (err) {
        for (const queued of batch) queued.reject(err);
      }
    }
    flushing = false;
  }

  return (write) =>
    new Promise<CampaignEvent[]>((resolve, reject) => {
      queue.push({ write, resolve, reject });
      if (!flushing) void flush();
    });
}
