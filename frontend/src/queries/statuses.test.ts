import { InfiniteQueryObserver, QueryClient, type InfiniteData } from '@tanstack/react-query';
import { describe, expect, it, vi } from 'vitest';
import { ProblemError, type Status, type StatusPage } from '../api/client';
import { addToStatuses, deleteFailure, removeFromStatuses, statusesQueryKey } from './statuses';

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

describe('removeFromStatuses', () => {
  it('takes a status out of whichever page holds it, keeping the cursors', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<InfiniteData<StatusPage>>(statusesQueryKey, {
      pages: [
        { items: [s(5), s(4)], next_before: 4 },
        { items: [s(3), s(2)], next_before: 2 },
      ],
      pageParams: [null, 4],
    });
    await removeFromStatuses(queryClient, 4);
    expect(ids(queryClient)).toEqual([5, 3, 2]);
    await removeFromStatuses(queryClient, 2);
    expect(ids(queryClient)).toEqual([5, 3]);
    expect(feedOf(queryClient)?.pages.map((page) => page.next_before)).toEqual([4, 2]);
    // Already gone (a 404): nothing changes.
    await removeFromStatuses(queryClient, 2);
    expect(ids(queryClient)).toEqual([5, 3]);
  });

  it('does not let a page asked for before the delete bring the status back', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<InfiniteData<StatusPage>>(statusesQueryKey, {
      pages: [{ items: [s(3), s(2)], next_before: null }],
      pageParams: [null],
    });
    const stale = deferred<StatusPage>();
    const refetch = queryClient.fetchInfiniteQuery({
      queryKey: statusesQueryKey,
      queryFn: () => stale.promise,
      initialPageParam: null,
      getNextPageParam: (page: StatusPage) => page.next_before,
      staleTime: 0,
    });
    await removeFromStatuses(queryClient, 3);
    stale.resolve({ items: [s(3), s(2)], next_before: null });
    await refetch.catch(() => undefined);
    expect(ids(queryClient)).toEqual([2]);
  });
});

describe('deleteFailure', () => {
  const failed = (status: number) => new ProblemError({ status, type: 'about:blank', title: `HTTP ${status}`, errors: {} });

  it('a 404 means the status was already gone; a 401 that the session is', () => {
    expect(deleteFailure(failed(404))).toEqual({ kind: 'already-deleted' });
    expect(deleteFailure(failed(401))).toEqual({ kind: 'session-ended' });
  });

  it('says what failed and why otherwise', () => {
    expect(deleteFailure(failed(500))).toMatchObject({ kind: 'message', message: expect.stringMatching(/^Could not delete that status\. /) });
    expect(deleteFailure(new TypeError('Failed to fetch'))).toMatchObject({
      kind: 'message',
      message: expect.stringMatching(/Could not reach the server/),
    });
  });
});
