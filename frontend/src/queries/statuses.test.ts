import { InfiniteQueryObserver, QueryClient, type InfiniteData } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import type { Status, StatusPage } from '../api/client';
import { addToStatuses, statusesQueryKey } from './statuses';

const s = (id: number): Status => ({ id, text: `status ${id}`, created_at: '2026-11-26T11:05:37Z' });
const feedOf = (queryClient: QueryClient) => queryClient.getQueryData<InfiniteData<StatusPage>>(statusesQueryKey);
const ids = (queryClient: QueryClient) => feedOf(queryClient)?.pages.flatMap((page) => page.items.map((x) => x.id));

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('addToStatuses', () => {
  it('puts a new status on top at once, without duplicates, keeping the paging', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<InfiniteData<StatusPage>>(statusesQueryKey, {
      pages: [{ items: [s(3), s(2)], next_before: 2 }],
      pageParams: [null],
    });
    await addToStatuses(queryClient, s(10));
    expect(ids(queryClient)).toEqual([10, 3, 2]);
    await addToStatuses(queryClient, s(10));
    expect(ids(queryClient)).toEqual([10, 3, 2]);
    expect(feedOf(queryClient)?.pages[0]?.next_before).toBe(2);
  });

  it('keeps a status posted while the first page was loading', async () => {
    const queryClient = new QueryClient();
    const server = [s(8), s(7)];
    const stale = deferred<StatusPage>();
    let calls = 0;
    const options = {
      queryKey: statusesQueryKey,
      // The first answer was asked for before the post; the next one after it.
      queryFn: () => (++calls === 1 ? stale.promise : Promise.resolve({ items: server, next_before: null })),
      initialPageParam: null,
      getNextPageParam: (page: StatusPage) => page.next_before,
    };
    // Observed, as the home page's list is.
    const unsubscribe = new InfiniteQueryObserver(queryClient, options).subscribe(() => undefined);
    server.unshift(s(9));
    await addToStatuses(queryClient, s(9));
    stale.resolve({ items: [s(8), s(7)], next_before: null });
    await vi.waitFor(() => expect(ids(queryClient)).toEqual([9, 8, 7]));
    unsubscribe();
  });
});
