import https from 'node:https';
import type { HttpCheck } from '../campaigns/index.js';
import { hostOfAddress } from '../config/address.js';

/** node:http without an ESM import, which would load undici for nothing (see the agent's runtime/probe.ts). */
const http = process.getBuiltinModule('node:http');

/**
 * `--check-http` on one site: GET its public URL (https when the inventory says the
 * site has SSL), optionally through the server's own host instead of the site's DNS
 * (as `curl --connect-to`), and judge the status, the body and the time taken.
 * Redirects are not followed; at most MAX_BODY_BYTES of the body are read.
 */

export const MAX_BODY_BYTES = 1024 * 1024;

export interface CheckedSite {
  domain: string;
  ssl: boolean;
}

/** The site's public URL for `path`. */
export function siteUrl(site: CheckedSite, path = '/'): string {
  return `${site.ssl ? 'https' : 'http'}://${site.domain}${path}`;
}

/** Undefined when the site passes, else why not (one line). */
export async function runHttpCheck(
  check: HttpCheck,
  site: CheckedSite,
  serverAddress: string,
  signal: AbortSignal,
): Promise<string | undefined> {
  const url = new URL(siteUrl(site, check.path));
  const via = check.connect && { host: hostOfAddress(serverAddress), port: check.connect.port };
  const what = `GET ${url.href}${via ? ` via ${via.host}${via.port ? `:${via.port}` : ''}` : ''}`;
  const started = performance.now();
  // Not AbortSignal.timeout(): inside AbortSignal.any() the garbage collector may take it
  // before it fires (nodejs/node#57736), and the check then waits for the answer unbounded.
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new DOMException(`no answer within ${check.maxMs} ms`, 'TimeoutError')), check.maxMs);
  let answer: { status: number; body: string };
  try {
    answer = await get(url, via, AbortSignal.any([signal, deadline.signal]));
  } catch (err) {
    if (signal.aborted) throw err;
    const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return `${what}: ${timedOut ? `no answer within ${check.maxMs} ms` : err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
  const ms = Math.round(performance.now() - started);
  if (answer.status !== check.status) return `${what}: status ${answer.status}, expected ${check.status}`;
  if (check.body !== undefined && !new RegExp(check.body).test(answer.body)) return `${what}: body does not match /${check.body}/`;
  if (ms > check.maxMs) return `${what}: answered in ${ms} ms, over max-ms ${check.maxMs}`;
  return undefined;
}

function get(
  url: URL,
  via: { host: string; port: number | undefined } | undefined,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  const tls = url.protocol === 'https:';
  const options: https.RequestOptions = {
    host: via?.host ?? url.hostname,
    port: via?.port ?? (url.port || (tls ? 443 : 80)),
    path: `${url.pathname}${url.search}`,
    method: 'GET',
    headers: { host: url.host, 'user-agent': 'wofleet-check-http', accept: '*/*' },
    // The certificate is checked against the site's name even when connecting elsewhere.
    servername: url.hostname,
    agent: false,
    signal,
  };
  return new Promise((resolve, reject) => {
    const request = (tls ? https : http).request(options, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      const done = () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        bytes += chunk.length;
        if (bytes >= MAX_BODY_BYTES) {
          response.destroy();
          done();
        }
      });
      response.on('end', done);
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end();
  });
}
