import { describe, expect, it } from 'vitest';
import { runSteps, StepFailedError, type Step } from '../src/steps/runner.js';

interface Ctx {
  log: string[];
}
const step = (name: string, fail = false, undo = true): Step<Ctx> => ({
  name,
  description: name,
  async run(ctx) {
    if (fail) throw new Error(`${name} broke`);
    ctx.log.push(`run ${name}`);
  },
  undo: undo
    ? async (ctx) => {
        ctx.log.push(`undo ${name}`);
      }
    : undefined,
});

describe('runSteps', () => {
  it('runs every step in order', async () => {
    const ctx: Ctx = { log: [] };
    await runSteps(ctx, [step('a'), step('b')]);
    expect(ctx.log).toEqual(['run a', 'run b']);
  });

  it('undoes the failed step and the completed ones, newest first, and names the failed step', async () => {
    const ctx: Ctx = { log: [] };
    const err = await runSteps(ctx, [step('a'), step('b', false, false), step('c'), step('d', true)]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StepFailedError);
    expect((err as Error).message).toBe('d failed: d broke; reverted');
    expect(ctx.log).toEqual(['run a', 'run b', 'run c', 'undo d', 'undo c', 'undo a']);
  });

  it('reports an undo that fails', async () => {
    const ctx: Ctx = { log: [] };
    const bad: Step<Ctx> = { name: 'x', description: 'x', run: async () => {}, undo: async () => Promise.reject(new Error('stuck')) };
    const err = await runSteps(ctx, [bad, step('y', true)]).catch((e: unknown) => e);
    expect((err as Error).message).toBe('y failed: y broke; revert incomplete: x: stuck');
  });
});
