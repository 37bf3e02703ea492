import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import { HealthCheckError } from '@wofleet/shared';

/** The endpoint the MU-plugin (health/mu-plugin.ts) answers the probe on, and the header carrying its token. */
export const HEALTH_PATH = '/wofleet-health';
export const HEALTH_TOKEN_HEADER = 'X-Wofleet-Token';

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
  /** nginx's page cache verdict (WordOps' `X-FastCGI-Cache`: HIT, MISS, BYPASS...), when it sent one. */
  cacheStatus?: string;
}

/**
 * A query string nobody else sends: WordOps' page caches (FastCGI, and the static-file
 * rules of wpsc/wprocket/wpce) never serve or store a request with one, so the health
 * answer always comes from PHP, never from a page the old core rendered.
 */
const cacheBuster = () => `nocache=${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Reaches sites through nginx on loopback, telling them apart by Host header. */
export interface SiteProbe {
  report(domain: string): Promise<SiteReport>;
  get(domain: string, path: string): Promise<HttpAnswer>;
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

export function createSiteProbe(address: string, token: () => Promise<string>, timeoutMs: number): SiteProbe {
  const sep = address.lastIndexOf(':');
  const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(sep + 1));
  const once = (scheme: 'http' | 'https', to: number, domain: string, path: string, headers: Record<string, string>) =>
    new Promise<HttpAnswer & { location?: string }>((resolve, reject) => {
      const options = { host, port: to, path, method: 'GET', headers: { Host: domain, ...headers }, timeout: timeoutMs, agent: false };
      const onAnswer = (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const cacheStatus = res.headers['x-fastcgi-cache'];
        const location = res.headers.location;
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ...(typeof cacheStatus === 'string' ? { cacheStatus } : {}),
            ...(location ? { location } : {}),
          }),
        );
        res.on('error', reject);
      };
      // The probe talks to this server's own nginx on loopback: it checks what PHP serves, not
      // the certificate (a site's certificate names the site, never the loopback address).
      const req =
        scheme === 'https'
          ? https.request({ ...options, servername: domain, rejectUnauthorized: false }, onAnswer)
          : http.request(options, onAnswer);
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(new HealthCheckError(`${domain}: ${err.message}`, { cause: err })));
      req.end();
    });
  /**
   * A site with SSL on WordOps answers plain HTTP with a redirect to https://<host><uri>
   * (its force-ssl vhost): follow that one redirect, to the same nginx over TLS.
   */
  const get = async (domain: string, path: string, headers: Record<string, string> = {}): Promise<HttpAnswer> => {
    const { location, ...answer } = await once('http', port, domain, path, headers);
    const toHttps = location && REDIRECTS.has(answer.status) ? httpsRedirect(location, domain) : undefined;
    if (!toHttps) return answer;
    const { location: _ignored, ...secure } = await once('https', toHttps.port, domain, toHttps.path, headers);
    return secure;
  };
  return {
    get,
    async report(domain) {
      const answer = await get(domain, `${HEALTH_PATH}?${cacheBuster()}`, { [HEALTH_TOKEN_HEADER]: await token() });
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
