import { Option } from 'commander';
import { printable, UsageError } from '@wofleet/shared';

/** A whole number flag from 1 to `max`. */
export function positiveInt(flag: string, raw: string, max: number): number {
  if (!/^\d{1,8}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`invalid ${flag} '${printable(raw)}': expected a whole number from 1 to ${max}`);
  }
  return Number(raw);
}

/** The most `--limit` takes: far more than any fleet, well inside a number. */
const MAX_LIMIT = 10_000_000;

/** `--limit N` of the list commands: at most N items (they otherwise follow every page). */
export function limitOption(): Option {
  return new Option('--limit <n>', 'print at most this many (default: all, read page by page)');
}

export function parseLimit(raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : positiveInt('--limit', raw, MAX_LIMIT);
}
