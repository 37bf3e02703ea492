/**
 * A whole list out of a paged list RPC: pages are fetched one after the other until
 * the controller sends no next_page_token, or until `limit` items are in.
 */
const PAGE_SIZE = 1000;

export interface FetchedPage<T> {
  items: readonly T[];
  nextPageToken: string;
}

export async function followPages<T>(
  fetchPage: (page: { pageSize: number; pageToken: string }) => Promise<FetchedPage<T>>,
  limit?: number,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken = '';
  do {
    const pageSize = limit === undefined ? PAGE_SIZE : Math.min(PAGE_SIZE, limit - items.length);
    const page = await fetchPage({ pageSize, pageToken });
    items.push(...page.items);
    pageToken = page.nextPageToken;
  } while (pageToken !== '' && (limit === undefined || items.length < limit));
  return limit === undefined ? items : items.slice(0, limit);
}
