import type { Engine } from '../engine.js';
import { runSteps, type Step, type StepEvent } from './runner.js';

/**
 * A command as data, the way Deployer writes its recipes: the steps in order
 * (a failure undoes the completed ones newest first), the failure step that
 * records the outcome once they are undone, and the steps that finish a success
 * (bookkeeping, events, housekeeping), which have nothing to undo.
 */
export interface Recipe<C> {
  steps: readonly Step<C>[];
  failed: FailureStep<C>;
  succeeded: readonly Step<C>[];
}

/** Runs after a failed recipe's steps were undone; the error is rethrown after it. */
export interface FailureStep<C> {
  name: string;
  description: string;
  run(ctx: C, error: unknown): Promise<void>;
}

/** What an operator follows on stderr: each step as it starts, each undo. */
export function progressOf(progress: (message: string) => void, prefix = ''): (e: StepEvent) => void {
  return (e) => {
    if (e.kind === 'start') progress(`${prefix}${e.description}`);
    if (e.kind === 'undo') progress(`reverting: ${e.step}`);
  };
}

/** A recipe's events as the engine takes them: progress lines (progressOf), and each completed step's duration. */
export function recipeEvents(engine: Pick<Engine, 'progress' | 'stepDone'>, recipe: string): (e: StepEvent) => void {
  const progress = progressOf(engine.progress);
  return (e) => {
    progress(e);
    if (e.kind === 'done') engine.stepDone(recipe, e.step, e.ms);
  };
}

export async function runRecipe<C>(ctx: C, recipe: Recipe<C>, onEvent?: (e: StepEvent) => void): Promise<void> {
  try {
    await runSteps(ctx, recipe.steps, onEvent);
  } catch (err) {
    await recipe.failed.run(ctx, err);
    throw err;
  }
  for (const step of recipe.succeeded) await step.run(ctx);
}
