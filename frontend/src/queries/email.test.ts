import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import type { User } from '../api/client';
import { showVerifiedUser } from './email';
import { securityEventsQueryKey } from './securityEvents';
import { meQuery } from './session';

const ada: User = { id: 1, email: 'ada@example.com', name: 'Ada', created_at: '2026-11-26T11:05:37Z', email_verified: false };

function client(me: User | null) {
  const queryClient = new QueryClient();
  queryClient.setQueryData(meQuery.queryKey, me);
  queryClient.setQueryData(securityEventsQueryKey, { pages: [], pageParams: [] });
  return queryClient;
}

describe('showVerifiedUser', () => {
  it("replaces the logged-in account's /me (verified, or at its new address) and marks the activity out of date", async () => {
    const queryClient = client(ada);
    await showVerifiedUser(queryClient, { ...ada, email: 'ada@new.example', email_verified: true });
    expect(queryClient.getQueryData<User | null>(meQuery.queryKey)).toMatchObject({ email: 'ada@new.example', email_verified: true });
    expect(queryClient.getQueryState(securityEventsQueryKey)?.isInvalidated).toBe(true);
  });

  it('leaves another account logged in in this browser alone', async () => {
    const bob = { ...ada, id: 2, email: 'bob@example.com' };
    const queryClient = client(bob);
    await showVerifiedUser(queryClient, { ...ada, email_verified: true });
    expect(queryClient.getQueryData<User | null>(meQuery.queryKey)).toEqual(bob);
    expect(queryClient.getQueryState(securityEventsQueryKey)?.isInvalidated).toBe(false);
  });

  it('logs nobody in: the link needs no session, and gives none', async () => {
    const queryClient = client(null);
    await showVerifiedUser(queryClient, { ...ada, email_verified: true });
    expect(queryClient.getQueryData<User | null>(meQuery.queryKey)).toBeNull();
  });
});
