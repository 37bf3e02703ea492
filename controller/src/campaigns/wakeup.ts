import { pause, RunnerStoppedError, type Waiting } from './agent-calls.js';

/**
 * When the driver makes its next pass: as soon as something it waits for has happened
 * (a step settled, a pass wrote a transition: a kick), else after the poll period,
 * the safety net for changes it is not told of (operator actions, other controllers).
 * Kicks that come while a pass runs are not lost: the next wait returns at once.
 */
export interface Wakeup {
  kick(): void;
  /**
   * Resolves shortly after the next kick (at once if one came since the last wait), or
   * after `waiting.pollMs`; throws RunnerStoppedError when the runner stops.
   */
  wait(): Promise<void>;
}

/**
 * Steps of one wave tend to settle together (they started together): after a kick the
 * pass waits this long, so a burst of settling steps is read by one pass, not one each.
 */
export const KICK_SETTLE_MS = 20;

export function createWakeup(waiting: Waiting): Wakeup {
  let kicked = false;
  let wake: AbortController | undefined;
  return {
    kick() {
      kicked = true;
      wake?.abort();
    },
    async wait() {
      if (!kicked) {
        wake = new AbortController();
        await waiting.clock.sleep(waiting.pollMs, AbortSignal.any([waiting.signal, wake.signal]));
        wake = undefined;
      }
      if (waiting.signal.aborted) throw new RunnerStoppedError();
      if (kicked) await pause(waiting, KICK_SETTLE_MS);
      kicked = false;
    },
  };
}
