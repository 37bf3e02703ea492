import type { IncomingMessage } from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { HealthCheckError } from '@wofleet/shared';

/**
 * node:http without an ESM import: on Node 22+ the import reads every export of the module,
 * and its WebSocket/MessageEvent/CloseEvent getters load undici and worker_threads, ~13 MiB
 * of RSS the daemon never uses (measured on the packaged Node 24; tests/bench/agent.bench.ts).
 */
const http = process.getBuiltinModule('node:http');

/** The endpoint the MU-plugin (health/mu-plugin.ts) answers the probe on, and the header carrying its token. */
export const HEALTH_PATH = '/wofleet-health';
export const HEALTH_TOKEN_HEADER = 'X-Wofleet-Token';
/** The serving proof's nonce travels twice, in this header and this query parameter (health/proof-request.ts). */
export const PROOF_NONCE_HEADER = 'X-Wofleet-Proof';
export const PROOF_QUERY_PARAM = 'wofleet-proof';
/** Bytes read of a health report (a few hundred in practice). */
const MAX_REPORT_BYTES = 1024 * 1024;

/** What a site's worker reports it runs (see health/mu-plugin.ts). */
export const siteReportSchema = z.object({
  site: z.string(),
  wp_version: z.string(),
  wp_db_version: z.number().int(),
  db_version: z.number().int(),
  php_version: z.string(),
  release: z.string(),
  theme: z.string().nullable().optional(),
  plugins: z.array(z.string()).optional(),
});
export type SiteReport = z.infer<typeof siteReportSchema>;

export interface HttpAnswer {
  status: number;
  body: string;
  /** From sending the request to the last byte, over the redirect too. */
  ms: number;
  /** nginx's page cache verdict (WordOps' `X-FastCGI-Cache`: HIT, MISS, BYPASS...), when it sent one. */
  cacheStatus?: string;
}

/**
 * A query string nobody else sends: WordOps' page caches (FastCGI, and the static-file
 * rules of wpsc/wprocket/wpce) never serve or store a request with one, so the health
 * answer always comes from PHP, never from a page the old core rendered.
 */
const cacheBuster = () => `nocache=${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export interface GetOptions {
  headers?: Record<string, string>;
  /** A longer body fails the request (default 1 MiB). */
  maxBodyBytes?: number;
}

/** Reaches sites through nginx on loopback, telling them apart by Host header. */
export interface SiteProbe {
  report(domain: string): Promise<SiteReport>;
  get(domain: string, path: string, options?: GetOptions): Promise<HttpAnswer>;
  /** The health token, for requests the MU-plugin must trust (the serving proof). */
  token(): Promise<string>;
}

const REDIRECTS = new Set([301, 302, 307, 308]);

/** The port and path of a redirect to the same site over https, else undefined. */
export function httpsRedirect(location: string, domain: string): { port: number; path: string } | undefined {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return undefined;
  }
  const host = url.hostname.toLowerCase();
  if (url.protocol !== 'https:' || (host !== domain && host !== `www.${domain}`)) return undefined;
  return { port: url.port ? Number(url.port) : 443, path: `${url.pathname}${url.search}` };
}

/** A probe request that got no (complete) answer in time: the site may only be slow for a moment. */
export class ProbeTimeoutError extends Error {
  override name = 'ProbeTimeoutError';
}

/** Whether a probe call failed for want of an answer in time (not for what a site answered). */
export function isProbeTimeout(err: unknown): boolean {
  return err instanceof Error && err.cause instanceof ProbeTimeoutError;
}

export function createSiteProbe(address: string, token: () => Promise<string>, timeoutMs: number): SiteProbe {
  const sep = address.lastIndexOf(':');
  const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(sep + 1));
  const once = (scheme: 'http' | 'https', to: number, domain: string, path: string, headers: Record<string, string>, maxBytes: number) =>
    new Promise<Omit<HttpAnswer, 'ms'> & { location?: string }>((resolve, reject) => {
      const options = { host, port: to, path, method: 'GET', headers: { Host: domain, ...headers }, timeout: timeoutMs, agent: false };
      // The timeout above is per socket inactivity: a page trickling bytes must not hold a check for ever.
      const deadline = setTimeout(() => req.destroy(new ProbeTimeoutError(`no complete answer within ${timeoutMs} ms`)), timeoutMs);
      const fail = (err: Error) => {
        clearTimeout(deadline);
        reject(new HealthCheckError(`${domain}: ${err.message}`, { cause: err }));
      };
      const onAnswer = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > maxBytes) req.destroy(new Error(`answer larger than ${maxBytes} bytes`));
          else chunks.push(c);
        });
        const cacheStatus = res.headers['x-fastcgi-cache'];
        const location = res.headers.location;
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(typeof cacheStatus === 'string' ? { cacheStatus } : {}),
            ...(location ? { location } : {}),
          });
        });
        res.on('error', fail);
      };
      // The probe talks to this server's own nginx on loopback: it checks what PHP serves, not
      // the certificate (a site's certificate names the site, never the loopback address).
      const req =
        scheme === 'https'
          ? https.request({ ...options, servername: domain, rejectUnauthorized: false }, onAnswer)
          : http.request(options, onAnswer);
      req.on('timeout', () => req.destroy(new ProbeTimeoutError(`no answer within ${timeoutMs} ms`)));
      req.on('error', fail);
      req.end();
    });
  /**
   * A site with SSL on WordOps answers plain HTTP with a redirect to https://<host><uri>
   * (its force-ssl vhost): follow that one redirect, to the same nginx over TLS.
   */
  const get = async (domain: string, path: string, options: GetOptions = {}): Promise<HttpAnswer> => {
    const headers = options.headers ?? {};
    const maxBytes = options.maxBodyBytes ?? MAX_REPORT_BYTES;
    const started = performance.now();
    const { location, ...answer } = await once('http', port, domain, path, headers, maxBytes);
    const toHttps = location && REDIRECTS.has(answer.status) ? httpsRedirect(location, domain) : undefined;
    if (!toHttps) return { ...answer, ms: performance.now() - started };
    const { location: _ignored, ...secure } = await once('https', toHttps.port, domain, toHttps.path, headers, maxBytes);
    return { ...secure, ms: performance.now() - started };
  };
  return {
    get,
    token,
    async report(domain) {
      const answer = await get(domain, `${HEALTH_PATH}?${cacheBuster()}`, { headers: { [HEALTH_TOKEN_HEADER]: await token() } });
      if (answer.cacheStatus === 'HIT' || answer.cacheStatus === 'STALE') {
        throw new HealthCheckError(`${domain}: the health answer came from nginx's page cache (${answer.cacheStatus}), not from PHP`);
      }
      if (answer.status !== 200) {
        const hint = answer.body
          .replace(/<[^>]*>/g, ' ')
          .replace(/\s+/g, ' ')
          .trim()
          .slice(0, 160);
        throw new HealthCheckError(`${domain}: health endpoint answered ${answer.status}${hint ? ` (${hint})` : ''}`);
      }
      let data: unknown;
      try {
        data = JSON.parse(answer.body);
      } catch {
        throw new HealthCheckError(`${domain}: health endpoint did not answer JSON: ${answer.body.slice(0, 120)}`);
      }
      const parsed = siteReportSchema.safeParse(data);
      if (!parsed.success) throw new HealthCheckError(`${domain}: unexpected health report: ${parsed.error.issues[0]?.message}`);
      return parsed.data;
    },
  };
}
