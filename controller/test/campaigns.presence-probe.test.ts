import { silentLogger } from '@wofleet/shared';
import { describe, expect, it } from 'vitest';
import type { AgentApi, AgentTarget } from '../src/agents/client.js';
import { createPresenceProbe, PROBE_CONCURRENCY, PROBE_DEADLINE_MS } from '../src/campaigns/presence-probe.js';
import { createSimAgents } from './campaigns.sim-agents.js';
import { T0 } from './db.fixtures.js';
import { createFakeClock } from './fake-clock.js';

/** A host that accepts the call and never answers (the case a deadline is for): only its GetStatus is called. */
function silentAgent(target: AgentTarget, asked: string[]): AgentApi {
  const agent = createSimAgents({ servers: [target.server], initialVersion: '6.4.5', clock: createFakeClock(T0) }).connect(target);
  return {
    ...agent,
    getStatus: () => {
      asked.push(target.server);
      return new Promise(() => undefined);
    },
  };
}

describe('presence probe: asking agents presence calls offline', () => {
  it('silent hosts hold a pass for one deadline per batch of parallel asks, then count as unreachable; answers are kept for cacheMs', async () => {
    const clock = createFakeClock(T0);
    const asked: string[] = [];
    const sim = createSimAgents({ servers: ['live'], initialVersion: '6.4.5', clock });
    const probe = createPresenceProbe({
      agentFor: (target) => (target.server === 'live' ? sim.connect(target) : silentAgent(target, asked)),
      clock,
      cacheMs: 10_000,
      log: silentLogger(),
    });
    const targets = [
      { server: 'live', address: '127.0.0.1:1' },
      ...Array.from({ length: 40 }, (_, i) => ({ server: `s${i}`, address: `127.0.0.1:${i + 2}` })),
    ];
    let result: ReadonlySet<string> | undefined;
    const started = clock.now().getTime();
    void probe.reachable(targets).then((r) => {
      result = r;
    });
    await clock.runUntil(() => result !== undefined, 'probe done');
    expect([...(result ?? [])]).toEqual(['live']);
    expect(asked).toHaveLength(40);
    // 41 asks, PROBE_CONCURRENCY at once: two rounds of deadlines at most, not one per host.
    expect(clock.now().getTime() - started).toBeLessThanOrEqual(Math.ceil(41 / PROBE_CONCURRENCY) * PROBE_DEADLINE_MS);

    // Within cacheMs of its answer nothing is asked again; after it, every host is.
    expect([...(await probe.reachable(targets))]).toEqual(['live']);
    expect(asked).toHaveLength(40);
    await clock.advance(10_000);
    sim.setDown('live', true);
    result = undefined;
    void probe.reachable(targets).then((r) => {
      result = r;
    });
    await clock.runUntil(() => result !== undefined, 'probe done');
    expect([...(result ?? [])]).toEqual([]);
    expect(asked).toHaveLength(80);
  });
});
