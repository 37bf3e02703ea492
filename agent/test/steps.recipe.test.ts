import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine.js';
import { progressOf, type Recipe, runRecipe } from '../src/steps/recipe.js';
import type { Step } from '../src/steps/runner.js';
import { switchStep } from '../src/steps/switch.js';

interface Ctx {
  engine: Engine;
  log: string[];
}

/** Only the part of the engine a switch uses: opcache reset in every pool, the page cache purge (no sites here). */
function fakeEngine(log: string[]): Engine {
  return {
    config: { sitesRoot: '/nonexistent/wofleet-sites' },
    fpm: { resetAll: async () => log.push('reset opcache') },
    pageCache: {
      purgeHosts: async (hosts: ReadonlySet<string>) => {
        log.push(`purge page cache (${hosts.size} hosts)`);
        return 0;
      },
    },
  } as unknown as Engine;
}

const point = switchStep<Ctx>({
  description: 'point',
  point: async (ctx) => {
    ctx.log.push('point');
  },
  pointBack: async (ctx) => {
    ctx.log.push('point back');
  },
});

const breaks: Step<Ctx> = {
  name: 'check',
  description: 'check',
  async run() {
    throw new Error('not serving');
  },
};

const recipe = (steps: Step<Ctx>[]): Recipe<Ctx> => ({
  steps,
  failed: {
    name: 'failed',
    description: 'record failure',
    async run(ctx, err) {
      ctx.log.push(`failed: ${(err as Error).message}`);
    },
  },
  succeeded: [
    {
      name: 'done',
      description: 'record success',
      async run(ctx) {
        ctx.log.push('succeeded');
      },
    },
  ],
});

describe('switchStep', () => {
  it('resets opcache after pointing, and again after pointing back', async () => {
    const log: string[] = [];
    const ctx: Ctx = { engine: fakeEngine(log), log };
    await point.run(ctx);
    await point.undo?.(ctx);
    expect(log).toEqual([
      'point',
      'reset opcache',
      'purge page cache (0 hosts)',
      'point back',
      'reset opcache',
      'purge page cache (0 hosts)',
    ]);
  });

  it('is named switch unless told otherwise', () => {
    expect(point.name).toBe('switch');
  });
});

describe('runRecipe', () => {
  it('runs the success steps after every step passed', async () => {
    const log: string[] = [];
    await runRecipe({ engine: fakeEngine(log), log }, recipe([point]));
    expect(log).toEqual(['point', 'reset opcache', 'purge page cache (0 hosts)', 'succeeded']);
  });

  it('undoes the steps, then runs the failure step, then rethrows', async () => {
    const log: string[] = [];
    const err = await runRecipe({ engine: fakeEngine(log), log }, recipe([point, breaks])).catch((e: unknown) => e);
    expect((err as Error).message).toBe('check failed: not serving; reverted');
    expect(log).toEqual([
      'point',
      'reset opcache',
      'purge page cache (0 hosts)',
      'point back',
      'reset opcache',
      'purge page cache (0 hosts)',
      'failed: check failed: not serving; reverted',
    ]);
  });

  it('reports each step start and each undo as progress', async () => {
    const log: string[] = [];
    const progress: string[] = [];
    await runRecipe(
      { engine: fakeEngine(log), log },
      recipe([point, breaks]),
      progressOf((m) => progress.push(m)),
    ).catch(() => undefined);
    expect(progress).toEqual(['point', 'check', 'reverting: switch']);
  });
});
