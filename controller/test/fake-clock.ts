import type { Clock } from '../src/context/clock.js';

/**
 * A Clock for tests: time moves only when the test says so. Everything the engine
 * awaits (sleeps, in-memory repository, simulated agents) is promises on this clock,
 * so "idle" is simply: no callback left to run before the next sleeper is due.
 */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, waking every sleeper due on the way, in order. */
  advance(ms: number): Promise<void>;
  /**
   * Lets everything run, then jumps to the next sleeper, again and again, until
   * `done()` holds; fails when nothing is left to wait for or `withinMs` of fake time passed.
   */
  runUntil(done: () => boolean | Promise<boolean>, what: string, withinMs?: number): Promise<void>;
  /**
   * Moves the clock `ms` ahead at once, as a clock set forward would: sleepers due by
   * then wake together, nothing in between runs.
   */
  jump(ms: number): Promise<void>;
  /** Total of the jumps: time that passed for the clock's readers, not for anything outside (a database's own clock). */
  jumpedMs(): number;
  /** Lets every callback that can run without time passing run. */
  settle(): Promise<void>;
}

interface Sleeper {
  at: number;
  wake(): void;
}

const SETTLE_TURNS = 5;

export function createFakeClock(start: Date): FakeClock {
  let nowMs = start.getTime();
  let jumped = 0;
  const sleepers = new Set<Sleeper>();

  async function settle(): Promise<void> {
    for (let i = 0; i < SETTLE_TURNS; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  }

  function wakeDue(): void {
    for (const sleeper of [...sleepers].sort((a, b) => a.at - b.at)) if (sleeper.at <= nowMs) sleeper.wake();
  }

  function nextDue(): number | undefined {
    let next: number | undefined;
    for (const s of sleepers) if (next === undefined || s.at < next) next = s.at;
    return next;
  }

  return {
    now: () => new Date(nowMs),
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const sleeper: Sleeper = {
          at: nowMs + Math.max(0, ms),
          wake() {
            sleepers.delete(sleeper);
            signal?.removeEventListener('abort', sleeper.wake);
            resolve();
          },
        };
        sleepers.add(sleeper);
        signal?.addEventListener('abort', sleeper.wake, { once: true });
      });
    },
    settle,
    jumpedMs: () => jumped,
    async jump(ms) {
      await settle();
      nowMs += ms;
      jumped += ms;
      wakeDue();
      await settle();
    },
    async advance(ms) {
      const until = nowMs + ms;
      for (;;) {
        await settle();
        const next = nextDue();
        if (next === undefined || next > until) break;
        nowMs = Math.max(nowMs, next);
        wakeDue();
      }
      nowMs = until;
      await settle();
    },
    async runUntil(done, what, withinMs = 86_400_000) {
      const limit = nowMs + withinMs;
      for (;;) {
        await settle();
        if (await done()) return;
        const next = nextDue();
        if (next === undefined) throw new Error(`${what}: never happened, and nothing is left to wait for`);
        if (next > limit) throw new Error(`${what}: did not happen within ${withinMs} ms of fake time`);
        nowMs = Math.max(nowMs, next);
        wakeDue();
      }
    },
  };
}
