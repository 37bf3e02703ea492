import { describeError } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import { linkedRelease } from '../layout/links.js';
import { pruneReleases } from '../releases/index.js';
import type { AgentState } from '../state/store.js';
import type { Step } from './runner.js';

/**
 * prune: after a successful update, delete releases beyond keepReleases, never
 * the ones `current`, `canary` or `previous` name. Housekeeping: a failure is
 * logged and the update still succeeds.
 */
export const PRUNE = { name: 'prune', description: 'remove old releases' } as const;

export interface PruneContext {
  engine: Engine;
  state: AgentState;
  /** Releases this step removed. */
  pruned: string[];
}

export const pruneStep: Step<PruneContext> = {
  ...PRUNE,
  async run(ctx) {
    const { engine, state } = ctx;
    try {
      const protect = [await linkedRelease(engine.layout, 'current'), await linkedRelease(engine.layout, 'canary'), state.previous].filter(
        (id): id is string => id !== undefined,
      );
      ctx.pruned = (await pruneReleases(engine.layout, { keep: engine.config.keepReleases, protect })).removed;
    } catch (err) {
      engine.log.warn({ err: describeError(err) }, 'pruning old releases failed');
      ctx.pruned = [];
    }
  },
};
