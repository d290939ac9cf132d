import { useEffect, useMemo, useRef } from 'react';

/** The part of a paged query (useInfiniteQuery) that the list uses. */
interface PagedQuery<Item> {
  data: { pages: ReadonlyArray<{ items: readonly Item[] }> } | undefined;
  isFetching: boolean;
  fetchNextPage: () => Promise<{ isError: boolean }>;
}

/**
 * A list read a page at a time: the items of the pages so far, and its "Load
 * more". Keyboard users then continue at the first of the older items, so
 * `listRef` goes on the list whose children they are.
 */
export function usePagedList<Item>(query: PagedQuery<Item>) {
  const listRef = useRef<HTMLOListElement>(null);
  const items = useMemo(() => query.data?.pages.flatMap((page) => page.items) ?? [], [query.data]);

  // Index of a list item to focus once it is rendered.
  const focusAfterRender = useRef<number | null>(null);
  useEffect(() => {
    const index = focusAfterRender.current;
    if (index === null) return;
    const item = listRef.current?.children[index];
    if (item instanceof HTMLElement) {
      focusAfterRender.current = null;
      item.focus();
    }
  }, [items.length]);

  async function loadMore() {
    if (query.isFetching) return;
    focusAfterRender.current = items.length;
    const result = await query.fetchNextPage();
    if (result.isError) focusAfterRender.current = null;
  }

  return { items, listRef, loadMore };
}
