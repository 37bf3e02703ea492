import { parseDigest, parseDomain, UsageError, type Digest } from '@wofleet/shared';
import type { SiteCreateFlags } from '../sites/wordops.js';

/** Parsing of CLI flags into typed values: the CLI's input boundary. */
export const PHP_VERSIONS = ['74', '80', '81', '82', '83', '84', '85'] as const;
export const CACHE_TYPES = ['wpfc', 'wpredis', 'wpsc', 'wprocket', 'wpce'] as const;

export function digestFromFlags(flags: { sha1?: string; sha256?: string }): Digest | undefined {
  if (flags.sha1 && flags.sha256) throw new UsageError('give either --sha1 or --sha256, not both');
  if (flags.sha1) return parseDigest('sha1', flags.sha1);
  if (flags.sha256) return parseDigest('sha256', flags.sha256);
  return undefined;
}

export function createFlags(flags: Record<string, unknown>): SiteCreateFlags {
  const php = PHP_VERSIONS.filter((v) => flags[`php${v}`] === true);
  const cache = CACHE_TYPES.filter((c) => flags[c] === true);
  if (php.length > 1) throw new UsageError(`give one PHP version, not ${php.map((v) => `--php${v}`).join(' ')}`);
  if (cache.length > 1) throw new UsageError(`give one cache type, not ${cache.map((c) => `--${c}`).join(' ')}`);
  const email = flags.adminEmail;
  if (email !== undefined && (typeof email !== 'string' || !/^[^\s@;'"`$\\]+@[a-z0-9.-]+\.[a-z]{2,}$/i.test(email))) {
    throw new UsageError(`invalid --admin-email '${String(email)}'`);
  }
  const php0 = php[0];
  return {
    php: php0 ? `${php0[0]}.${php0.slice(1)}` : undefined,
    cache: cache[0],
    letsEncrypt: flags.le === true,
    adminEmail: email as string | undefined,
  };
}

export function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) throw new UsageError(`${name} must be a whole number from 1, got '${raw}'`);
  return Number(raw);
}

export { parseDomain };
