import { type Digest, isWordPressVersion } from '@wofleet/shared';
import type { Engine } from '../engine.js';
import { EVENT_TYPE } from '../events/types.js';
import { type ReleaseInfo, requireCurrentRelease, stageRelease } from '../releases/index.js';
import type { Step } from './runner.js';

/**
 * stage: fetch, verify and extract a release beside the current one (files equal
 * to the current release's are hard links), switching nothing. Run before the
 * steps of an update, outside their undo: a half-staged release is cleaned up
 * by the next command under the lock (releases/cleanup.ts).
 */
export const STAGE = { name: 'stage', description: 'stage a release beside the current one' } as const;

export interface StageOptions {
  release: string;
  digest?: Digest;
}

export interface StageStepContext {
  engine: Engine;
  request: StageOptions;
  /** The release staged (or found already staged). */
  staged?: ReleaseInfo;
}

/** Stage outside a step list: the stage command, and the first half of update. */
export async function stage(engine: Engine, request: StageOptions): Promise<ReleaseInfo> {
  const from = await requireCurrentRelease(engine);
  engine.progress(`staging ${request.release}`);
  const staged = await stageRelease(
    { config: engine.config, layout: engine.layout, log: engine.log, run: engine.run, space: engine.space },
    {
      source: request.release,
      digest: request.digest,
      expectVersion: isWordPressVersion(request.release) ? request.release : undefined,
      dedupeAgainst: from.path,
      onProgress: engine.progress,
    },
  );
  if (!staged.reused)
    await engine.events.emit(EVENT_TYPE.staged, { release: staged.id, version: staged.version, newBytes: staged.newBytes });
  return staged;
}

export const stageStep: Step<StageStepContext> = {
  ...STAGE,
  async run(ctx) {
    ctx.staged = await stage(ctx.engine, ctx.request);
  },
};
