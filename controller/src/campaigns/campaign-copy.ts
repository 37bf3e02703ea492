import type { Clock } from '../context/clock.js';
import type { CampaignRecord, CampaignRepository, TargetRow } from './repository.js';

/**
 * The driver's copy of its campaign, so that a pass does not read a thousand target
 * rows (and the plan) again after every settled step. Between whole reads the copy
 * takes in the target transitions this driver's steps commit (the only writers of a
 * campaign's targets while it holds the lease). It is read whole again:
 *  - when the campaign row changed (state or last change: an operator's command, or a
 *    campaign or wave transition of a pass, which forgets the copy);
 *  - after forget(): a write whose outcome is unknown, a server removed from the
 *    inventory (its removal ends the target without the lease);
 *  - at least every WHOLE_READ_EVERY_MS, the safety net for anything else.
 * A step's write that commits while a whole read is under way may be missing from what
 * that read returns (its snapshot came first): it is laid over the read, or the copy
 * would show the target a state behind for up to WHOLE_READ_EVERY_MS, and a pass would
 * run again a step that has already ended (a second hold of a server that had succeeded).
 */
export interface CampaignCopy {
  /** The campaign as it is now; undefined: no such campaign. */
  read(): Promise<CampaignRecord | undefined>;
  /** A target row as a step of this driver has committed it. */
  targetWritten(row: TargetRow): void;
  /** The next read is a whole one. */
  forget(): void;
}

export const WHOLE_READ_EVERY_MS = 10_000;

export function createCampaignCopy(repository: CampaignRepository, campaignId: string, clock: Clock): CampaignCopy {
  let copy: { record: CampaignRecord; readAt: number; index: Map<string, number> } | undefined;
  /** Rows written while a whole read is under way, by server. */
  let writtenDuringRead: Map<string, TargetRow> | undefined;
  const wholeRead = async (): Promise<CampaignRecord | undefined> => {
    const written = new Map<string, TargetRow>();
    writtenDuringRead = written;
    try {
      const record = await repository.loadCampaign(campaignId);
      if (!record) return undefined;
      for (const [i, target] of record.targets.entries()) {
        const newer = written.get(target.server);
        if (newer && newer.updatedAt.getTime() >= target.updatedAt.getTime()) record.targets[i] = newer;
      }
      return record;
    } finally {
      if (writtenDuringRead === written) writtenDuringRead = undefined;
    }
  };
  return {
    async read() {
      const head = await repository.readCampaignHead(campaignId);
      if (!head) return undefined;
      const now = clock.now().getTime();
      const campaign = copy?.record.campaign;
      if (
        !copy ||
        campaign?.state !== head.state ||
        campaign.updatedAt.getTime() !== head.updatedAt.getTime() ||
        now - copy.readAt >= WHOLE_READ_EVERY_MS
      ) {
        const record = await wholeRead();
        if (!record) return undefined;
        copy = { record, readAt: now, index: new Map(record.targets.map((t, i) => [t.server, i])) };
      }
      return copy.record;
    },
    targetWritten(row) {
      writtenDuringRead?.set(row.server, row);
      const i = copy?.index.get(row.server);
      if (copy && i !== undefined) copy.record.targets[i] = row;
    },
    forget() {
      copy = undefined;
    },
  };
}
