import { QueryClient } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';
import { ProblemError, type SessionInfo, type SessionList } from '../api/client';
import type { ApiProblem } from '../api/problem';
import { forgetSessions, orderSessions, sessionsFailure, sessionsQueryKey } from './sessions';

let n = 0;
function session(overrides: Partial<SessionInfo> = {}): SessionInfo {
  n++;
  return {
    id: `session-id-${String(n).padStart(8, '0')}`,
    created_at: '2026-11-26T11:00:00Z',
    last_seen_at: '2026-11-26T11:30:00Z',
    ip: '203.0.113.9',
    user_agent: 'curl/8.5.0',
    current: false,
    ...overrides,
  };
}

const failed = (status: number, extra: Partial<ApiProblem> = {}) =>
  new ProblemError({ status, type: 'about:blank', title: `HTTP ${status}`, errors: {}, ...extra });
const unavailable = failed(503, { type: '/problems/unavailable', title: 'Service unavailable', retryAfter: 5 });

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('orderSessions', () => {
  it('puts the current session first, the others in the server order', () => {
    const a = session();
    const b = session({ current: true });
    const c = session();
    expect(orderSessions([a, b, c]).map((s) => s.id)).toEqual([b.id, a.id, c.id]);
  });
});

describe('forgetSessions', () => {
  const me = session({ current: true });
  const phone = session();
  const laptop = session();

  it('drops ended sessions from the cached list', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<SessionList>(sessionsQueryKey, { items: [me, phone, laptop] });
    await forgetSessions(queryClient, (s) => s.id === phone.id);
    expect(queryClient.getQueryData<SessionList>(sessionsQueryKey)?.items).toEqual([me, laptop]);
    await forgetSessions(queryClient, (s) => !s.current);
    expect(queryClient.getQueryData<SessionList>(sessionsQueryKey)?.items).toEqual([me]);
  });

  it('does not let a list asked for before a revoke bring the session back', async () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData<SessionList>(sessionsQueryKey, { items: [me, phone] });
    const stale = deferred<SessionList>();
    const refetch = queryClient.fetchQuery({ queryKey: sessionsQueryKey, queryFn: () => stale.promise, staleTime: 0 });
    await forgetSessions(queryClient, (s) => s.id === phone.id);
    stale.resolve({ items: [me, phone] });
    await refetch.catch(() => undefined);
    expect(queryClient.getQueryData<SessionList>(sessionsQueryKey)?.items).toEqual([me]);
    // A list asked for afterwards is taken as it is.
    const newcomer = session();
    await queryClient.fetchQuery({ queryKey: sessionsQueryKey, queryFn: async () => ({ items: [me, newcomer] }), staleTime: 0 });
    expect(queryClient.getQueryData<SessionList>(sessionsQueryKey)?.items).toEqual([me, newcomer]);
  });
});

describe('sessionsFailure', () => {
  it('says what failed and why, instead of swallowing it', () => {
    expect(sessionsFailure(unavailable, 'load')).toEqual({
      kind: 'message',
      message: 'Could not load your sessions. The service is temporarily unavailable. Try again in 5 seconds.',
    });
    expect(sessionsFailure(unavailable, 'revoke')).toEqual({
      kind: 'message',
      message: 'Could not revoke that session. The service is temporarily unavailable. Try again in 5 seconds.',
    });
    const crossSite = failed(403, { type: '/problems/forbidden-origin', title: 'Forbidden origin', detail: 'Cross-site request refused' });
    expect(sessionsFailure(crossSite, 'revokeOthers')).toEqual({
      kind: 'message',
      message: 'Could not log out your other sessions. Cross-site request refused.',
    });
    // A network failure too.
    expect(sessionsFailure(new TypeError('Failed to fetch'), 'revoke')).toMatchObject({
      kind: 'message',
      message: expect.stringMatching(/^Could not revoke that session\. Could not reach the server\./),
    });
  });

  it('treats a 404 on revoke as "already ended"', () => {
    expect(sessionsFailure(failed(404), 'revoke')).toEqual({ kind: 'already-ended' });
    expect(sessionsFailure(failed(404), 'load')).toMatchObject({ kind: 'message' });
  });

  it('a 401 anywhere means this session has ended', () => {
    for (const action of ['load', 'revoke', 'revokeOthers'] as const) {
      expect(sessionsFailure(failed(401), action), action).toEqual({ kind: 'session-ended' });
    }
  });
});
