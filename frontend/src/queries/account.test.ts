import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { User } from '../api/client';
import { refreshAfterPasswordChange, showUpdatedUser } from './account';
import { securityEventsQueryKey } from './securityEvents';
import { sessionsQueryKey } from './sessions';
import { meQuery } from './session';

const ada: User = {
  id: 1,
  email: 'ada@example.com',
  name: 'Ada',
  created_at: '2026-11-26T11:05:37Z',
  email_verified: false,
};

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('showUpdatedUser', () => {
  it('replaces the cached GET /me, which every page shows', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(meQuery.queryKey, ada);
    await showUpdatedUser(queryClient, { ...ada, name: 'Ada Lovelace' });
    expect(queryClient.getQueryData<User | null>(meQuery.queryKey)?.name).toBe('Ada Lovelace');
  });

  it('does not let a GET /me asked for before the rename bring the old name back', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(meQuery.queryKey, ada);
    const stale = deferred<User>();
    const refetch = queryClient.fetchQuery({ queryKey: meQuery.queryKey, queryFn: () => stale.promise, staleTime: 0 });
    await showUpdatedUser(queryClient, { ...ada, name: 'Ada Lovelace' });
    stale.resolve(ada);
    await refetch.catch(() => undefined);
    expect(queryClient.getQueryData<User | null>(meQuery.queryKey)?.name).toBe('Ada Lovelace');
  });
});

describe('refreshAfterPasswordChange', () => {
  it('marks the cached session list and the activity out of date, and leaves GET /me alone', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(meQuery.queryKey, ada);
    queryClient.setQueryData(sessionsQueryKey, { items: [] });
    queryClient.setQueryData(securityEventsQueryKey, { pages: [], pageParams: [] });
    await refreshAfterPasswordChange(queryClient);
    expect(queryClient.getQueryState(sessionsQueryKey)?.isInvalidated).toBe(true);
    expect(queryClient.getQueryState(securityEventsQueryKey)?.isInvalidated).toBe(true);
    expect(queryClient.getQueryState(meQuery.queryKey)?.isInvalidated).toBe(false);
  });
});
