import { UsageError } from '@wofleet/shared';

/**
 * Paging of the list RPCs: keyset pages (the rows after the sort key of the last row
 * given, never an offset, so a page costs the same deep into a list and rows added or
 * removed meanwhile neither repeat nor shift the rest). The token carries that key,
 * base64url JSON with a version: opaque to clients, checked when it comes back.
 */
/** Keeps an answer far below gRPC's 4 MiB message limit (1000 sites are about 110 KB on the wire). */
export const MAX_PAGE_SIZE = 1000;

const TOKEN_VERSION = 1;

export interface PageRequest {
  pageSize: number;
  pageToken: string;
}

/** The page to read: its size as served and the key it starts after (`arity` strings; undefined: the first page). */
export interface PageToRead {
  size: number;
  after: string[] | undefined;
}

/** A call without page_size (a client from before paging) gets the most a page holds, `maxSize`. */
export function pageToRead(request: PageRequest, arity: number, maxSize = MAX_PAGE_SIZE): PageToRead {
  const size = request.pageSize === 0 ? maxSize : Math.min(request.pageSize, maxSize);
  return { size, after: request.pageToken === '' ? undefined : decodePageToken(request.pageToken, arity) };
}

/** The page_token refused: not one this controller made for this list. */
export function invalidPageToken(): UsageError {
  return new UsageError('invalid page_token: pass the next_page_token of the previous answer, with the same filters');
}

function decodePageToken(token: string, arity: number): string[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  const key = (decoded as { v?: unknown; k?: unknown } | undefined)?.k;
  const valid =
    (decoded as { v?: unknown } | undefined)?.v === TOKEN_VERSION &&
    Array.isArray(key) &&
    key.length === arity &&
    key.every((part) => typeof part === 'string');
  if (!valid) throw invalidPageToken();
  return key as string[];
}

export function encodePageToken(key: readonly string[]): string {
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, k: key })).toString('base64url');
}

/**
 * The page out of `rows`, read with a limit of `size + 1`: the extra row only says
 * that there is a next page, whose token is the key of the page's last row.
 */
export function cutPage<T>(rows: readonly T[], size: number, keyOf: (row: T) => readonly string[]): { rows: T[]; nextPageToken: string } {
  const page = rows.slice(0, size);
  const last = page.at(-1);
  return { rows: page, nextPageToken: rows.length > size && last !== undefined ? encodePageToken(keyOf(last)) : '' };
}
