import { open, rm } from 'node:fs/promises';
import { IntegrityError, NotFoundError, WofleetError } from '@wofleet/shared';

/**
 * HTTP(S) downloads with Node's fetch: a size cap enforced while streaming (a
 * Content-Length can lie), a timeout over the whole transfer, and one-line errors
 * that say what went wrong (404, connection refused, timeout).
 */

export interface DownloadLimits {
  maxBytes: number;
  timeoutMs: number;
}

/** Stream `url` into `file` (created, must not exist). Returns the byte count. A failed download leaves no file. */
export async function downloadToFile(url: string, file: string, limits: DownloadLimits): Promise<number> {
  const response = await request(url, 'GET', limits.timeoutMs);
  if (!response.ok) throw httpError(url, response);
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > limits.maxBytes) throw tooLarge(url, limits.maxBytes);
  if (response.body === null) throw new WofleetError(`download of ${url} failed: empty response`);

  const handle = await open(file, 'wx', 0o600);
  let bytes = 0;
  try {
    for await (const chunk of response.body) {
      bytes += chunk.byteLength;
      if (bytes > limits.maxBytes) throw tooLarge(url, limits.maxBytes);
      await handle.write(chunk);
    }
  } catch (err) {
    await handle.close();
    await rm(file, { force: true });
    throw err instanceof WofleetError ? err : transferError(url, err, limits.timeoutMs);
  }
  await handle.close();
  return bytes;
}

/** A small text resource (a digest file); undefined when the server says 404. */
export async function fetchSmallText(url: string, limits: DownloadLimits): Promise<string | undefined> {
  const response = await request(url, 'GET', limits.timeoutMs);
  if (response.status === 404) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.ok) throw httpError(url, response);
  const text = await response.text().catch((err: unknown) => {
    throw transferError(url, err, limits.timeoutMs);
  });
  if (text.length > limits.maxBytes) throw tooLarge(url, limits.maxBytes);
  return text;
}

/** Whether `url` exists (HEAD answers 2xx); false for 404, an error for anything unclear. */
export async function urlExists(url: string, timeoutMs: number): Promise<boolean> {
  const response = await request(url, 'HEAD', timeoutMs);
  if (response.status === 404) return false;
  if (!response.ok) throw httpError(url, response);
  return true;
}

async function request(url: string, method: 'GET' | 'HEAD', timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { method, redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw transferError(url, err, timeoutMs);
  }
}

function httpError(url: string, response: Response): WofleetError {
  void response.body?.cancel();
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
  if (response.status === 404) return new NotFoundError(`not found: ${url} (${status})`);
  return new WofleetError(`download of ${url} failed: ${status}`);
}

function tooLarge(url: string, maxBytes: number): IntegrityError {
  return new IntegrityError(`refusing ${url}: larger than the archive size cap of ${maxBytes} bytes`);
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
