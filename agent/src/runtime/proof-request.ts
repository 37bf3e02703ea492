import { randomBytes } from 'node:crypto';
import { HEALTH_TOKEN_HEADER, PROOF_NONCE_HEADER, PROOF_QUERY_PARAM } from './probe.js';

export interface ProofRequest {
  nonce: string;
  path: string;
  headers: Record<string, string>;
}

/** A fresh nonce per request: only the worker that renders this request can echo it. */
export function newProofNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * One request of the serving proof: the path with the nonce as query parameter, the
 * nonce and health token as headers (the MU-plugin trusts neither alone), plus what
 * makes every page cache of a WordOps site step aside for this request only. Nothing is
 * purged: visitors keep being served their cached pages.
 * - The query string: WordOps' nginx sets `$skip_cache` for any non-empty `$query_string`
 *   (map-wp-fastcgi-cache.conf), so the FastCGI cache (wpfc: fastcgi_cache_bypass and
 *   fastcgi_no_cache) and the Redis page cache (wpredis: srcache_fetch_skip and
 *   srcache_store_skip) neither answer nor store it; WordOps' wpsc/wpce/wprocket rules try
 *   the plugins' static files only for a request without `$args`; and in PHP, WP Super
 *   Cache (wp-cache-phase2.php, `wpsc_is_get_query()`), Cache Enabler
 *   (`Cache_Enabler_Engine::is_excluded()`, query strings outside its allowed list) and
 *   WP Rocket (its process refuses query strings outside its cache_query_strings) neither
 *   serve nor store a page with an unknown query string.
 * - `wordpress_no_cache`: WordOps' `$http_cookie` map sets `$skip_cache` for it too, the
 *   same way as for a logged-in visitor; `Cache-Control: no-cache` asks any other cache
 *   in between to revalidate.
 */
export function proofRequest(path: string, nonce: string, token: string): ProofRequest {
  const separator = path.includes('?') ? '&' : '?';
  return {
    nonce,
    path: `${path}${separator}${PROOF_QUERY_PARAM}=${nonce}`,
    headers: {
      [HEALTH_TOKEN_HEADER]: token,
      [PROOF_NONCE_HEADER]: nonce,
      Cookie: 'wordpress_no_cache=1',
      'Cache-Control': 'no-cache',
    },
  };
}
