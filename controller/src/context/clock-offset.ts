import { UsageError } from '@wofleet/shared';
import type { Clock } from './clock.js';

/**
 * Test only: WOFLEET_TEST_CLOCK_OFFSET_MS shifts what this controller reads as now, for
 * the chaos suite's clock skew between two controllers (libfaketime is not installed on
 * every test host). Unset in production: the clock as given.
 */
export const CLOCK_OFFSET_ENV = 'WOFLEET_TEST_CLOCK_OFFSET_MS';
const MAX_OFFSET_MS = 86_400_000;

export function clockWithTestOffset(clock: Clock, env: NodeJS.ProcessEnv = process.env): Clock {
  const text = env[CLOCK_OFFSET_ENV];
  if (text === undefined || text.trim() === '') return clock;
  const offsetMs = /^-?\d{1,8}$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!(Math.abs(offsetMs) <= MAX_OFFSET_MS))
    throw new UsageError(`invalid ${CLOCK_OFFSET_ENV} '${text}': expected whole milliseconds within one day`);
  return { ...clock, now: () => new Date(clock.now().getTime() + offsetMs) };
}
