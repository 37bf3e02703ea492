import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger, MESSAGE_LIMITS, silentLogger, textField } from '@wofleet/shared';
import { makeAgentConfig } from '../src/config/load.js';
import { startHeartbeat, type Heartbeat, type HeartbeatSummary } from '../src/daemon/nats/heartbeat.js';
import { heartbeatSubject, startNatsPublisher } from '../src/daemon/nats/index.js';
import type { Timers } from '../src/daemon/nats/timers.js';
import { startNatsServer, type NatsServer } from '../../tests/support/nats-server.js';

const log = process.env.WOFLEET_LOG_LEVEL ? createLogger('test') : silentLogger();
const emptyOutbox = { pending: async () => [], ack: async () => {} };

const summary: HeartbeatSummary = {
  current: { release: '6.5.5-a1b2c3', version: '6.5.5' },
  canary: null,
  sites: 3,
  health: 'ok',
  diskFreeBytes: 12_345_678,
};

/**
 * Virtual time: sleeps are queued; run() lets pending work settle, then jumps the
 * clock to the earliest sleeper, until the condition holds. Periods pass in microseconds.
 */
function virtualTimers(): Timers & { run(until: () => boolean): Promise<void> } {
  let now = 1_700_000_000_000;
  const sleepers: Array<{ at: number; wake: () => void }> = [];
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  };
  return {
    now: () => now,
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const sleeper = { at: now + Math.max(0, ms), wake: resolve };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', () => {
          sleepers.splice(sleepers.indexOf(sleeper), 1);
          resolve();
        });
      }),
    async run(until) {
      for (let steps = 0; steps < 10_000; steps++) {
        await settle();
        if (until()) return;
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers.shift();
        if (!next) throw new Error('nothing left to wait for');
        now = Math.max(now, next.at);
        next.wake();
      }
      throw new Error('condition not reached');
    },
  };
}

function collectBeats(nc: NatsConnection, serverId: string): { beats: Array<{ beat: Heartbeat; receivedAt: number }> } {
  const received: Array<{ beat: Heartbeat; receivedAt: number }> = [];
  nc.subscribe(heartbeatSubject(serverId), {
    callback: (err, msg) => {
      if (!err) received.push({ beat: msg.json<Heartbeat>(), receivedAt: Date.now() });
    },
  });
  return { beats: received };
}

describe('heartbeats over a real nats-server', () => {
  let server: NatsServer;
  let watcher: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer();
    watcher = await connect({ servers: server.url });
  });
  afterAll(async () => {
    await watcher?.close();
    await server?.dispose();
  });

  it('arrive every heartbeatSeconds on wofleet.agent.<serverId>.heartbeat with the summary fields', async () => {
    const { beats } = collectBeats(watcher, 'beat-1');
    await watcher.flush();
    const config = makeAgentConfig({ serverId: 'beat-1', nats: { servers: [server.url], heartbeatSeconds: 1 } });
    const started = Date.now();
    const nats = startNatsPublisher({ config, outbox: emptyOutbox, summary: async () => summary, log, agentVersion: '9.9.9' });
    try {
      await vi.waitUntil(() => beats.length >= 5, { timeout: 10_000, interval: 20 });
      const span = (beats[4]!.receivedAt - started) / 1000;
      // First beat right after connecting, then one per second: the 5th lands ~4 s in.
      expect(span).toBeGreaterThanOrEqual(3.5);
      expect(span).toBeLessThanOrEqual(6.5);
      const gaps = beats.slice(1, 5).map((b, i) => b.receivedAt - beats[i]!.receivedAt);
      for (const gap of gaps) expect(gap).toBeGreaterThan(700);
      expect(beats[0]!.beat).toMatchObject({ serverId: 'beat-1', agentVersion: '9.9.9', ...summary });
      expect(typeof beats[0]!.beat.uptimeSeconds).toBe('number');
      expect(Date.parse(beats[0]!.beat.at)).not.toBeNaN();
      expect(beats[0]!.beat.summaryError).toBeUndefined();
    } finally {
      await nats.stop();
    }
  });

  it('keep coming when the summary function throws', async () => {
    const { beats } = collectBeats(watcher, 'beat-2');
    await watcher.flush();
    const config = makeAgentConfig({ serverId: 'beat-2', nats: { servers: [server.url], heartbeatSeconds: 1 } });
    const failing = async (): Promise<HeartbeatSummary> => {
      throw new Error('state file unreadable');
    };
    const nats = startNatsPublisher({ config, outbox: emptyOutbox, summary: failing, log, agentVersion: '9.9.9' });
    try {
      await vi.waitUntil(() => beats.length >= 3, { timeout: 10_000, interval: 20 });
      for (const { beat } of beats) {
        expect(beat).toMatchObject({ serverId: 'beat-2', agentVersion: '9.9.9', summaryError: 'state file unreadable' });
        expect(beat.health).toBeUndefined();
      }
    } finally {
      await nats.stop();
    }
  });
});

describe('heartbeat loop (virtual time)', () => {
  async function runBeats(options: {
    summary: () => Promise<HeartbeatSummary>;
    connected?: (now: number) => boolean;
    count: number;
    /** Calls beatNow() when the virtual clock reaches this offset. */
    beatNowAt?: number;
  }) {
    const timers = virtualTimers();
    const start = timers.now();
    const sent: Heartbeat[] = [];
    const loop = startHeartbeat({
      serverId: 's1',
      agentVersion: '1.0.0',
      periodMs: 10_000,
      summary: options.summary,
      publish: (beat) => sent.push(beat),
      connected: () => options.connected?.(timers.now() - start) ?? true,
      timers,
      log,
      startedAtMs: start - 60_000,
    });
    if (options.beatNowAt !== undefined) void timers.sleep(options.beatNowAt).then(() => loop.beatNow());
    await timers.run(() => sent.length >= options.count);
    await loop.stop();
    return { sent, offsets: sent.map((b) => Date.parse(b.at) - start) };
  }

  it('beats once per period after a summary failure, with the agent fields and the error', async () => {
    let calls = 0;
    const flaky = async () => {
      calls++;
      if (calls % 2 === 0) throw new Error(`probe ${calls} failed`);
      return summary;
    };
    const { sent, offsets } = await runBeats({ summary: flaky, count: 4 });
    expect(offsets.slice(0, 4)).toEqual([0, 10_000, 20_000, 30_000]);
    expect(sent[0]).toMatchObject({ ...summary, uptimeSeconds: 60 });
    expect(sent[1]).toEqual({ serverId: 's1', agentVersion: '1.0.0', uptimeSeconds: 70, at: sent[1]!.at, summaryError: 'probe 2 failed' });
    expect(sent[2]).toMatchObject({ health: 'ok' });
  });

  it("a summary error is sent within the controller's text rule: cut to 4,096 characters, no control but tab and line breaks", async () => {
    const stderr = `wp: \u001b[31mError\u001b[0m\u0000 in plugin\nline 2\t${'x'.repeat(10_000)}`;
    const failing = async (): Promise<HeartbeatSummary> => {
      throw new Error(stderr);
    };
    const { sent } = await runBeats({ summary: failing, count: 1 });
    const error = sent[0]?.summaryError ?? '';
    expect(error).toHaveLength(MESSAGE_LIMITS.textChars);
    expect(error.startsWith('wp: ?[31mError?[0m? in plugin\nline 2\txxx')).toBe(true);
    expect(textField().safeParse(error).success).toBe(true);
  });

  it('does not wait longer than a period for a summary that never answers', async () => {
    const { sent, offsets } = await runBeats({ summary: () => new Promise<HeartbeatSummary>(() => {}), count: 3 });
    expect(offsets.slice(0, 3)).toEqual([10_000, 20_000, 30_000]);
    expect(sent[0]!.summaryError).toMatch(/longer than 10000 ms/);
  });

  it('skips beats while disconnected instead of queueing them', async () => {
    const { offsets } = await runBeats({ summary: async () => summary, connected: (t) => t < 25_000 || t >= 55_000, count: 5 });
    expect(offsets.slice(0, 5)).toEqual([0, 10_000, 20_000, 60_000, 70_000]);
  });

  it('beats at once on beatNow() (a reconnect) and counts periods from there', async () => {
    const { offsets } = await runBeats({ summary: async () => summary, beatNowAt: 15_000, count: 4 });
    expect(offsets.slice(0, 4)).toEqual([0, 10_000, 15_000, 25_000]);
  });
});
