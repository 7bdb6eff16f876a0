// Paging of list endpoints: items sorted by a key, a page of `limit` after the key `after`.
// A cursor (rather than an offset) keeps pages stable while clients come and go.

/** The query keys every list takes. */
export interface PageQuery {
  limit?: number;
  after?: string;
}

/** A page: the items, the number that matched, and the cursor of the next page. */
export interface Page<T> {
  total: number;
  items: T[];
  /** Pass as `after` for the next page; absent on the last one. */
  next?: string;
}

/** JSON schema properties of {@link PageQuery}. */
export const PAGE_QUERY = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100, description: 'page size' },
  after: { type: 'string', description: 'the `next` of the previous page' },
} as const;

/** JSON schema of a {@link Page} of `item`. */
export function pageSchema(item: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    required: ['total', 'items'],
    properties: {
      total: { type: 'integer', description: 'items matching the filters, all pages' },
      items: { type: 'array', items: item },
      next: { type: 'string', description: 'cursor of the next page (absent on the last)' },
    },
  };
}

/** Sorts `matched` by `key` and cuts the page after `q.after`. */
export function page<T, R>(
  matched: T[],
  key: (t: T) => string,
  q: PageQuery,
  view: (t: T) => R,
): Page<R> {
  const limit = q.limit ?? 100;
  matched.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  let start = 0;
  if (q.after !== undefined) {
    const after = q.after;
    while (start < matched.length && key(matched[start] as T) <= after) start++;
  }
  const slice = matched.slice(start, start + limit);
  const out: Page<R> = { total: matched.length, items: slice.map(view) };
  if (start + limit < matched.length && slice.length > 0)
    out.next = key(slice[slice.length - 1] as T);
  return out;
}
