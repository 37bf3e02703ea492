import type { Logger } from '@wofleet/shared';
import type { ControllerSettings } from '../config/controller.js';
import { startController, type RunningController } from './start-controller.js';

/**
 * `wofleet controller serve`: runs the controller until SIGTERM or SIGINT, then stops
 * it. Signals are listened for from the start: one that comes while it still waits for
 * NATS (nothing is in flight yet) ends the wait at once instead of killing the process.
 * Resolves once stopped; a failed stop is logged, not thrown.
 */
export async function serveUntilSignal(settings: ControllerSettings, log: Logger): Promise<void> {
  let running: RunningController | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      log.info({ signal, started: running !== undefined }, 'signal received, stopping');
      if (!running) return resolve();
      running.stop().then(resolve, (err: unknown) => {
        log.error({ err }, 'stop failed');
        resolve();
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
  running = await Promise.race([startController({ settings, log }), stopped.then(() => undefined)]);
  await stopped;
}
