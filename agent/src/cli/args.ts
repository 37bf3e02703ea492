import { UsageError } from '@wofleet/shared';

/** Parsing of CLI flags the command table's schemas do not share with gRPC (whose fields differ). */
export { CACHE_TYPES, PHP_VERSIONS } from '../sites/create-flags.js';

export function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) throw new UsageError(`${name} must be a whole number from 1, got '${raw}'`);
  return Number(raw);
}
