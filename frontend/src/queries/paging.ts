// The lists read a page at a time, newest first (GET /fetchStatus, GET
// /me/security-events): each answer's `next_before` is the next page's
// `before`, and null once there is nothing older.

/** The first page's request: `limit` items and no `before`. */
export function firstPage(limit: number) {
  return { params: { query: { limit } } };
}

/** The useInfiniteQuery options of such a list. */
export const newestFirstPages = {
  pageParamName: 'before',
  // No `before` at all for the first page (null is left out of the query).
  initialPageParam: null,
  getNextPageParam: (page: { next_before: number | null }) => page.next_before,
};
