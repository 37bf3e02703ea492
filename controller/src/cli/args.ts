import { printable, UsageError } from '@wofleet/shared';

/** A whole number flag from 1 to `max`. */
export function positiveInt(flag: string, raw: string, max: number): number {
  if (!/^\d{1,6}$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`invalid ${flag} '${printable(raw)}': expected a whole number from 1 to ${max}`);
  }
  return Number(raw);
}
