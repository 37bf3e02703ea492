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
 * - nginx (WordOps' conf.d/map-wp-fastcgi-cache.conf): a query string other than utm_/fbclid
 *   sets `$query_no_cache`, a `wordpress_no_cache` cookie `$cookie_no_cache`; either makes
 *   `$skip_cache` 1. The FastCGI cache (wpfc: fastcgi_cache_bypass, fastcgi_no_cache) and the
 *   Redis page cache (wpredis: srcache_fetch_skip, srcache_store_skip) then neither answer
 *   nor store, and `$cache_uri` becomes "null cache", so the wpsc/wpce/wprocket rules'
 *   try_files finds no static page and hands the request to PHP.
 * - PHP: WP Super Cache (wp-cache-phase2.php, `wpsc_is_get_query()`), Cache Enabler
 *   (`Cache_Enabler_Engine::is_excluded()`: query strings outside its allowed list) and
 *   WP Rocket (query strings outside its cache_query_strings) neither serve nor store a page
 *   requested with an unknown query string.
 * - `Cache-Control: no-cache` asks any other cache in between to revalidate.
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
