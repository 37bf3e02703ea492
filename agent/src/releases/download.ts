import { open, rm } from 'node:fs/promises';
import { IntegrityError, NotFoundError, printable, WofleetError } from '@wofleet/shared';

/**
 * HTTP(S) downloads with Node's fetch: a size cap enforced while streaming (a
 * Content-Length can lie; the transfer is aborted at the cap, nothing more is read),
 * a timeout over the whole transfer, redirects followed only to the host asked or
 * one the config allows (a mirror must not steer every agent to an internal URL),
 * and one-line errors that say what went wrong (404, connection refused, timeout).
 */

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Hosts a redirect may lead to besides the URL's own (config `releases.redirectHosts`). */
  redirectHosts: readonly string[];
}

/** Redirect hops followed before giving up. */
export const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Stream `url` into `file` (created, must not exist). Returns the byte count. A failed download leaves no file. */
export async function downloadToFile(url: string, file: string, limits: DownloadLimits): Promise<number> {
  const response = await request(url, 'GET', limits);
  if (!response.ok) throw httpError(url, response);
  const cap = `the archive size cap of ${limits.maxBytes} bytes`;
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > limits.maxBytes) {
    await response.body?.cancel();
    throw tooLarge(url, cap);
  }

  const handle = await open(file, 'wx', 0o600);
  let bytes = 0;
  try {
    for await (const chunk of cappedBody(url, response, limits, cap)) {
      bytes += chunk.byteLength;
      await handle.write(chunk);
    }
  } catch (err) {
    await handle.close();
    await rm(file, { force: true });
    throw err;
  }
  await handle.close();
  return bytes;
}

/** A small text resource (a digest file); undefined when the server says 404. */
export async function fetchSmallText(url: string, limits: DownloadLimits): Promise<string | undefined> {
  const response = await request(url, 'GET', limits);
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) throw httpError(url, response);
  const chunks: Uint8Array[] = [];
  for await (const chunk of cappedBody(url, response, limits, `the digest file cap of ${limits.maxBytes} bytes`)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether `url` exists (HEAD answers 2xx); false for 404, an error for anything unclear. */
export async function urlExists(url: string, limits: Omit<DownloadLimits, 'maxBytes'>): Promise<boolean> {
  const response = await request(url, 'HEAD', limits);
  if (response.status === 404) return false;
  if (!response.ok) throw httpError(url, response);
  return true;
}

/** The body's chunks; past `maxBytes` the transfer is cancelled (leaving the loop cancels the stream) and the read fails. */
async function* cappedBody(url: string, response: Response, limits: DownloadLimits, cap: string): AsyncGenerator<Uint8Array> {
  if (response.body === null) throw new WofleetError(`download of ${url} failed: empty response`);
  let bytes = 0;
  try {
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      if (bytes > limits.maxBytes) throw tooLarge(url, cap);
      yield chunk;
    }
  } catch (err) {
    throw err instanceof WofleetError ? err : transferError(url, err, limits.timeoutMs);
  }
}

/** One timeout over every hop; each redirect is checked before it is followed. */
async function request(url: string, method: 'GET' | 'HEAD', limits: Omit<DownloadLimits, 'maxBytes'>): Promise<Response> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const asked = new URL(url);
  let at = asked;
  for (let hop = 0; ; hop++) {
    let response: Response;
    try {
      response = await fetch(at, { method, redirect: 'manual', signal });
    } catch (err) {
      throw transferError(url, err, limits.timeoutMs);
    }
    if (!REDIRECT_STATUSES.has(response.status)) return response;
    await response.body?.cancel();
    if (hop === MAX_REDIRECTS) throw new WofleetError(`download of ${url} failed: more than ${MAX_REDIRECTS} redirects`);
    at = redirectTarget(url, asked, at, response.headers.get('location'), limits.redirectHosts);
  }
}

function redirectTarget(url: string, asked: URL, at: URL, location: string | null, allowed: readonly string[]): URL {
  if (location === null) throw new WofleetError(`download of ${url} failed: a redirect without a Location`);
  let next: URL;
  try {
    next = new URL(location, at);
  } catch {
    throw new WofleetError(`download of ${url} failed: a redirect to '${printable(location, 80)}', not a URL`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') {
    throw new WofleetError(`refusing the redirect of ${url} to ${printable(next.protocol, 20)} (only http and https)`);
  }
  if (next.hostname !== asked.hostname && !allowed.includes(next.hostname)) {
    throw new WofleetError(
      `refusing the redirect of ${url} to host ${printable(next.hostname, 100)}: not ${asked.hostname} and not in releases.redirectHosts`,
    );
  }
  return next;
}

function httpError(url: string, response: Response): WofleetError {
  void response.body?.cancel();
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 404) return new NotFoundError(`not found: ${url} (${status})`);
  return new WofleetError(`download of ${url} failed: ${status}`);
}

function tooLarge(url: string, cap: string): IntegrityError {
  return new IntegrityError(`refusing ${url}: larger than ${cap}`);
}

/** fetch reports everything as "fetch failed"; the useful reason is in the cause chain. */
function transferError(url: string, err: unknown, timeoutMs: number): WofleetError {
  const name = (err as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    const after = timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`;
    return new WofleetError(`download of ${url} timed out after ${after}`, { cause: err });
  }
  const cause = (err as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  const reason =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host not found'
        : code === 'ECONNRESET'
          ? 'connection reset'
          : typeof cause?.message === 'string'
            ? cause.message
            : err instanceof Error
              ? err.message
              : String(err);
  return new WofleetError(`cannot download ${url}: ${reason}`, { cause: err });
}
