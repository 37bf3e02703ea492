import { existsSync } from 'node:fs';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import type { Logger } from '@wofleet/shared';
import { agentInboxPrefix, natsConnectionOptions } from '@wofleet/shared/nats';
import { natsSeedFileOf } from '../../config/paths.js';
import type { AgentConfig } from '../../config/schema.js';
import { backoffDelay, type BackoffPolicy, type Timers } from './timers.js';

const STILL_CONNECTING_LOG_MS = 60_000;

/**
 * Client options from the agent config: its NATS user when enrollment wrote its seed (an
 * agent enrolled before NATS identities has none, and only a NATS without auth takes it),
 * and replies under its own inbox prefix, the only one its user may subscribe to.
 */
export function agentNatsOptions(config: AgentConfig): ConnectionOptions {
  const seedFile = natsSeedFileOf(config);
  const settings = { ...config.nats, seedFile: seedFile !== undefined && existsSync(seedFile) ? seedFile : undefined };
  return { ...natsConnectionOptions(settings, `wofleet-agent/${config.serverId}`), inboxPrefix: agentInboxPrefix(config.serverId) };
}

export interface ConnectNatsOptions {
  log: Logger;
  /** Aborting gives up: the promise resolves `undefined` at once. */
  signal: AbortSignal;
  timers: Timers;
  /** Between attempts when the client itself gives up (it does after repeated auth errors). */
  retry: BackoffPolicy;
}

/**
 * Connects, waiting as long as it takes. The client retries unreachable servers by
 * itself, but reports nothing until it succeeds and rejects only on errors it will not
 * retry (twice the same auth error): those are logged and retried here with backoff.
 */
export async function connectNats(
  options: ConnectionOptions,
  { log, signal, timers, retry }: ConnectNatsOptions,
): Promise<NatsConnection | undefined> {
  const gaveUp = new Promise<undefined>((resolve) => {
    if (signal.aborted) resolve(undefined);
    signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  for (let attempt = 1; !signal.aborted; attempt++) {
    const pending = connect(options);
    const since = timers.now();
    const nag = setInterval(
      () => log.warn({ servers: options.servers, waitingMs: timers.now() - since }, 'still no NATS connection'),
      STILL_CONNECTING_LOG_MS,
    );
    nag.unref();
    try {
      const nc = await Promise.race([pending, gaveUp]);
      if (nc !== undefined) return nc;
      // A dial in progress cannot be cancelled: close its connection whenever it comes up.
      pending.then((late) => late.close()).catch(() => {});
      return undefined;
    } catch (err) {
      const delayMs = backoffDelay(attempt, retry);
      log.error({ err, servers: options.servers, delayMs }, 'NATS connection refused; retrying');
      await timers.sleep(delayMs, signal);
    } finally {
      clearInterval(nag);
    }
  }
  return undefined;
}
