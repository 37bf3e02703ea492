import { describeError, WofleetError } from '@wofleet/shared';

/**
 * A command is a list of named steps composed as data (like Deployer's recipes).
 * A step that changes something the site serves has an `undo`; when a step fails,
 * it and the completed steps are undone newest first and the failure names the
 * step that broke.
 */
export interface Step<C> {
  name: string;
  description: string;
  run(ctx: C): Promise<void>;
  undo?(ctx: C): Promise<void>;
}

export type StepEvent =
  | { kind: 'start'; step: string; description: string }
  | { kind: 'done'; step: string; ms: number }
  | { kind: 'failed'; step: string; error: string }
  | { kind: 'undo'; step: string }
  | { kind: 'undo-failed'; step: string; error: string };

export class StepFailedError extends WofleetError {
  constructor(
    readonly step: string,
    readonly reverted: boolean,
    readonly undoErrors: string[],
    cause: unknown,
  ) {
    const tail = reverted ? (undoErrors.length === 0 ? '; reverted' : `; revert incomplete: ${undoErrors.join('; ')}`) : '';
    super(`${step} failed: ${describeError(cause)}${tail}`, { cause });
  }
}

export async function runSteps<C>(ctx: C, steps: readonly Step<C>[], onEvent: (e: StepEvent) => void = () => {}): Promise<void> {
  const done: Step<C>[] = [];
  for (const step of steps) {
    onEvent({ kind: 'start', step: step.name, description: step.description });
    const started = Date.now();
    try {
      await step.run(ctx);
    } catch (err) {
      onEvent({ kind: 'failed', step: step.name, error: describeError(err) });
      const undoErrors: string[] = [];
      // The failed step is undone too: it may have changed something before it broke,
      // so every undo must cope with a partial run of its step.
      const undoable = [...done, step].filter((s) => s.undo).reverse();
      for (const prior of undoable) {
        onEvent({ kind: 'undo', step: prior.name });
        try {
          await prior.undo?.(ctx);
        } catch (undoErr) {
          undoErrors.push(`${prior.name}: ${describeError(undoErr)}`);
          onEvent({ kind: 'undo-failed', step: prior.name, error: describeError(undoErr) });
        }
      }
      throw new StepFailedError(step.name, undoable.length > 0, undoErrors, err);
    }
    done.push(step);
    onEvent({ kind: 'done', step: step.name, ms: Date.now() - started });
  }
}
