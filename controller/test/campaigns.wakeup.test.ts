import { describe, expect, it } from 'vitest';
import { RunnerStoppedError } from '../src/campaigns/agent-calls.js';
import { createWakeup, KICK_SETTLE_MS } from '../src/campaigns/wakeup.js';
import { systemClock } from '../src/context/index.js';
import { T0 } from './db.fixtures.js';
import { createFakeClock } from './fake-clock.js';

/** The driver's wait between passes: a kick ends it early, the poll period bounds it. */
const POLL_MS = 10_000;

function wakeup() {
  const stopping = new AbortController();
  return { stopping, wakeup: createWakeup({ clock: systemClock, pollMs: POLL_MS, signal: stopping.signal }) };
}

async function elapsedMs(wait: Promise<void>): Promise<number> {
  const started = performance.now();
  await wait;
  return performance.now() - started;
}

describe('driver wakeup', () => {
  it('a kick during the wait ends it after the settle time, not the poll period', async () => {
    const { wakeup: w } = wakeup();
    const waited = w.wait();
    setTimeout(() => w.kick(), 50);
    const ms = await elapsedMs(waited);
    expect(ms).toBeGreaterThanOrEqual(50 + KICK_SETTLE_MS - 5);
    expect(ms).toBeLessThan(1_000);
  });

  it('a kick that came while no one waited (during a pass) ends the next wait at once', async () => {
    const { wakeup: w } = wakeup();
    w.kick();
    expect(await elapsedMs(w.wait())).toBeLessThan(1_000);
  });

  it('a kick is spent by the wait it ended: the next wait does not end early', async () => {
    const { wakeup: w, stopping } = wakeup();
    w.kick();
    await w.wait();
    const next = w.wait();
    let ended = false;
    void next.then(
      () => (ended = true),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(ended).toBe(false);
    stopping.abort();
    await expect(next).rejects.toBeInstanceOf(RunnerStoppedError);
  });

  it('the runner stopping ends the wait at once with RunnerStoppedError', async () => {
    const { wakeup: w, stopping } = wakeup();
    const waited = w.wait();
    stopping.abort();
    const started = performance.now();
    await expect(waited).rejects.toBeInstanceOf(RunnerStoppedError);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('driver wakeup in fake time (its waits go through the injected clock)', () => {
  it('without a kick the wait lasts exactly the poll period; a kick ends it after the settle time', async () => {
    const clock = createFakeClock(T0);
    const w = createWakeup({ clock, pollMs: POLL_MS, signal: new AbortController().signal });
    let ended = false;
    const waited = w.wait().then(() => {
      ended = true;
    });
    await clock.advance(POLL_MS - 1);
    expect(ended).toBe(false);
    await clock.advance(1);
    await waited;
    expect(ended).toBe(true);

    let kickEnded = false;
    const kicked = w.wait().then(() => {
      kickEnded = true;
    });
    await clock.advance(50);
    w.kick();
    await clock.runUntil(() => kickEnded, 'the wait a kick ended');
    await kicked;
    expect(clock.now().getTime() - T0.getTime()).toBe(POLL_MS + 50 + KICK_SETTLE_MS);
  });
});
