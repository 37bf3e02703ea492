import { describeError, messageText, type Logger } from '@wofleet/shared';
import type { Timers } from './timers.js';

/**
 * Presence: every period the agent publishes a small summary of itself (core NATS,
 * fire and forget; a missed beat is replaced by the next one). Beats are skipped
 * while disconnected rather than buffered, so a reconnect does not flush stale ones.
 */
export const HEALTH = { ok: 'ok', degraded: 'degraded', unhealthy: 'unhealthy' } as const;
export type Health = (typeof HEALTH)[keyof typeof HEALTH];

export interface ReleaseRef {
  release: string;
  version: string;
}

/** What the engine knows about this server; taken fresh for every beat. */
export interface HeartbeatSummary {
  current: ReleaseRef | null;
  canary: ReleaseRef | null;
  /** Number of sites on the shared core. */
  sites: number;
  health: Health;
  diskFreeBytes: number;
}

/** The message on `wofleet.agent.<serverId>.heartbeat`. Without a summary only the agent's own facts are sent. */
export interface Heartbeat extends Partial<HeartbeatSummary> {
  serverId: string;
  agentVersion: string;
  uptimeSeconds: number;
  at: string;
  /** Why the summary fields are missing from this beat. */
  summaryError?: string;
}

export interface HeartbeatOptions {
  serverId: string;
  agentVersion: string;
  periodMs: number;
  summary: () => Promise<HeartbeatSummary>;
  /** Sends one beat; only called while connected() is true. */
  publish: (beat: Heartbeat) => void;
  connected: () => boolean;
  timers: Timers;
  log: Logger;
  /** When the agent process started (epoch ms), for uptimeSeconds. */
  startedAtMs: number;
}

export interface HeartbeatLoop {
  /** Beat now and count periods from here (on (re)connect, so presence shows at once). */
  beatNow(): void;
  stop(): Promise<void>;
}

class SummaryTimeoutError extends Error {}

/**
 * Why a beat calls its summary's time limit off once the summary came: a plain value, as
 * abort() without one builds a DOMException, and no timeout error is built for it either
 * (once a beat: a thousand a second when 10,000 simulated agents share a process).
 */
const SUMMARY_TAKEN = 'summary taken';

/** The summary, or the reason there is none; never slower than `limitMs`, so a stuck probe cannot stall the beats. */
async function takeSummary(options: HeartbeatOptions, limitMs: number, signal: AbortSignal): Promise<HeartbeatSummary | Error> {
  const done = new AbortController();
  const cancel = () => done.abort(signal.reason);
  signal.addEventListener('abort', cancel, { once: true });
  const timedOut = new Promise<Error>((resolve) => {
    void options.timers.sleep(limitMs, done.signal).then(() => {
      if (done.signal.reason !== SUMMARY_TAKEN) resolve(new SummaryTimeoutError(`summary took longer than ${limitMs} ms`));
    });
  });
  try {
    const taking = Promise.resolve().then(options.summary);
    taking.catch(() => {}); // a late failure after the timeout has already been reported
    return await Promise.race([taking, timedOut]);
  } catch (err) {
    return err instanceof Error ? err : new Error(describeError(err));
  } finally {
    signal.removeEventListener('abort', cancel);
    done.abort(SUMMARY_TAKEN);
  }
}

async function beat(options: HeartbeatOptions, signal: AbortSignal): Promise<void> {
  const { timers, log } = options;
  if (!options.connected()) {
    log.debug('heartbeat skipped: not connected');
    return;
  }
  const summary = await takeSummary(options, options.periodMs, signal);
  if (signal.aborted) return;
  const now = timers.now();
  const own = {
    serverId: options.serverId,
    agentVersion: options.agentVersion,
    uptimeSeconds: Math.max(0, Math.round((now - options.startedAtMs) / 1000)),
    at: new Date(now).toISOString(),
  };
  let message: Heartbeat;
  if (summary instanceof Error) {
    log.warn({ err: summary }, 'heartbeat summary failed; sending the agent fields only');
    message = { ...own, summaryError: messageText(summary.message) };
  } else {
    message = { ...own, ...summary };
  }
  try {
    options.publish(message);
  } catch (err) {
    log.warn({ err }, 'heartbeat publish failed');
  }
}

/** Beats at start + k * period (no drift from slow summaries); periods missed while busy are skipped, not caught up. */
export function startHeartbeat(options: HeartbeatOptions): HeartbeatLoop {
  const stopping = new AbortController();
  const { timers, periodMs } = options;
  let restart = false;
  let waiting: AbortController | undefined;
  const loop = (async () => {
    let start = timers.now();
    let k = 0;
    while (!stopping.signal.aborted) {
      if (restart) {
        restart = false;
        start = timers.now();
        k = 0;
      }
      await beat(options, stopping.signal);
      const now = timers.now();
      k = Math.max(k + 1, Math.ceil((now - start) / periodMs));
      if (restart) continue; // beatNow() came while this beat was being taken
      waiting = new AbortController();
      const cancel = () => waiting?.abort();
      stopping.signal.addEventListener('abort', cancel, { once: true });
      await timers.sleep(start + k * periodMs - now, waiting.signal);
      stopping.signal.removeEventListener('abort', cancel);
      waiting = undefined;
    }
  })();
  return {
    beatNow() {
      restart = true;
      waiting?.abort();
    },
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
