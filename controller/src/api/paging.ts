import { UsageError } from '@wofleet/shared';

/**
 * Paging of the list RPCs: keyset pages (the rows after the sort key of the last row
 * given, never an offset, so a page costs the same deep into a list and rows added or
 * removed meanwhile neither repeat nor shift the rest). The token carries that key,
 * base64url JSON with a version: opaque to clients, checked when it comes back.
 */
/** Keeps an answer far below gRPC's 4 MiB message limit (1000 sites are about 110 KB on the wire). */
export const MAX_PAGE_SIZE = 1000;
/** A call without page_size (a client from before paging) gets the most a page holds. */
export const DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE;

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

export function pageToRead(request: PageRequest, arity: number): PageToRead {
  const size = request.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(request.pageSize, MAX_PAGE_SIZE);
  return { size, after: request.pageToken === '' ? undefined : decodePageToken(request.pageToken, arity) };
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
  if (!valid) throw new UsageError('invalid page_token: pass the next_page_token of the previous answer, with the same filters');
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
