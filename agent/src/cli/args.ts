import { parseDigestChoice, UsageError, type Digest } from '@wofleet/shared';

/** Parsing of CLI flags into typed values: the CLI's input boundary. */
export { CACHE_TYPES, createFlags, PHP_VERSIONS } from '../sites/create-flags.js';

export function digestFromFlags(flags: { sha1?: string; sha256?: string }): Digest | undefined {
  return parseDigestChoice(flags.sha1, flags.sha256);
}

export function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) throw new UsageError(`${name} must be a whole number from 1, got '${raw}'`);
  return Number(raw);
}
