import { describeError, messageText } from '@wofleet/shared';
import { healthCommand, type Level } from '../commands/health.js';
import type { Engine } from '../engine.js';
import { EVENT_TYPE } from '../events/types.js';

export interface HealthMonitor {
  level(): Level | undefined;
  /** Each site's level from the last check (domain -> level); empty before the first. */
  siteLevels(): Record<string, Level>;
  checkNow(): Promise<Level>;
  stop(): void;
}

/** `site <domain>` checks, as domain -> level. */
function siteLevels(checks: readonly { name: string; level: Level }[]): Record<string, Level> {
  return Object.fromEntries(checks.filter((c) => c.name.startsWith('site ')).map((c) => [c.name.slice('site '.length), c.level]));
}

/**
 * Runs the full health check periodically and reports every change of level, the
 * server's or a site's, as an event carrying every site's level; heartbeats carry the
 * last known server level, so they stay cheap.
 */
export function startHealthMonitor(
  engine: Engine,
  intervalMs: number,
  onChange: () => void = () => {},
  onChecked: () => void = () => {},
): HealthMonitor {
  let last: Level | undefined;
  let lastSites = '';
  let lastSiteLevels: Record<string, Level> = {};
  let running: Promise<Level> | undefined;
  const checkNow = () => {
    running ??= (async () => {
      let level: Level;
      let detail: string[] = [];
      let sites: Record<string, Level> = {};
      try {
        const result = await healthCommand(engine, {});
        level = result.level;
        detail = result.checks.filter((c) => c.level !== 'ok').map((c) => messageText(`${c.name}: ${c.detail}`));
        sites = siteLevels(result.checks);
      } catch (err) {
        level = 'unhealthy';
        detail = [messageText(describeError(err))];
      }
      lastSiteLevels = sites;
      const sitesKey = JSON.stringify(Object.entries(sites).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      if (level !== last || sitesKey !== lastSites) {
        await engine.events.emit(EVENT_TYPE.healthChanged, { from: last ?? null, to: level, problems: detail, sites });
        last = level;
        lastSites = sitesKey;
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
  return { level: () => last, siteLevels: () => ({ ...lastSiteLevels }), checkNow, stop: () => clearInterval(timer) };
}
