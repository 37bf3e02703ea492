import { UsageError } from '@wofleet/shared';
import type { SiteCreateFlags } from './wordops.js';

/**
 * The WordOps flags of `create`, as the CLI and the gRPC CreateSite request give
 * them, checked and turned into SiteCreateFlags.
 */
export const PHP_VERSIONS = ['74', '80', '81', '82', '83', '84', '85'] as const;
export const CACHE_TYPES = ['wpfc', 'wpredis', 'wpsc', 'wprocket', 'wpce'] as const;

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
