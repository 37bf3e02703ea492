import { describeError } from '@wofleet/shared';
import { healthCommand, type Level } from '../commands/health.js';
import type { Engine } from '../engine.js';
import { EVENT_TYPE } from '../events/types.js';

export interface HealthMonitor {
  level(): Level | undefined;
  checkNow(): Promise<Level>;
  stop(): void;
}

/**
 * Runs the full health check periodically and reports every change of level as
 * an event; heartbeats carry the last known level, so they stay cheap.
 */
export function startHealthMonitor(
  engine: Engine,
  intervalMs: number,
  onChange: () => void = () => {},
  onChecked: () => void = () => {},
): HealthMonitor {
  let last: Level | undefined;
  let running: Promise<Level> | undefined;
  const checkNow = () => {
    running ??= (async () => {
      let level: Level;
      let detail: string[] = [];
      try {
        const result = await healthCommand(engine, {});
        level = result.level;
        detail = result.checks.filter((c) => c.level !== 'ok').map((c) => `${c.name}: ${c.detail}`);
      } catch (err) {
        level = 'unhealthy';
        detail = [describeError(err)];
      }
      if (level !== last) {
        await engine.events.emit(EVENT_TYPE.healthChanged, { from: last ?? null, to: level, problems: detail });
        last = level;
        onChange();
      }
      onChecked();
      return level;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };
  const timer = setInterval(() => void checkNow(), intervalMs);
  timer.unref();
  void checkNow();
  return { level: () => last, checkNow, stop: () => clearInterval(timer) };
}
