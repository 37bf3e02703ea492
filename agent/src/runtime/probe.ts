import http from 'node:http';
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

export function createSiteProbe(address: string, token: () => Promise<string>, timeoutMs: number): SiteProbe {
  const sep = address.lastIndexOf(':');
  const host = address.slice(0, sep).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(sep + 1));
  const get = (domain: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const req = http.request(
        { host, port, path, method: 'GET', headers: { Host: domain, ...headers }, timeout: timeoutMs, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          const cacheStatus = res.headers['x-fastcgi-cache'];
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ...(typeof cacheStatus === 'string' ? { cacheStatus } : {}),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => reject(new HealthCheckError(`${domain}: ${err.message}`, { cause: err })));
      req.end();
    });
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
