import { useMutationState, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { $api, isUnauthorized, toApiProblem, type SessionInfo, type SessionList } from '../api/client';
import { problemMessage } from '../api/problem';
import { securityEventsQueryKey } from './securityEvents';

// The home page's "Active sessions" panel: GET /sessions, DELETE
// /sessions/{id} and DELETE /sessions (see "Active sessions" in API.md).

export const sessionsQueryKey = $api.queryOptions('get', '/sessions').queryKey;

/** The current session first; the others keep the server's order (newest first). */
export function orderSessions(items: readonly SessionInfo[]): SessionInfo[] {
  return [...items.filter((s) => s.current), ...items.filter((s) => !s.current)];
}

export function useSessionList() {
  return $api.useQuery('get', '/sessions', undefined, {
    // Back to this tab: the list may have changed on another device.
    refetchOnWindowFocus: true,
    select: (list) => orderSessions(list.items),
  });
}

/**
 * Drops sessions from the cached list once the server has ended them. A list
 * asked for before that is cancelled first: its answer would bring them back.
 */
export async function forgetSessions(queryClient: QueryClient, ended: (session: SessionInfo) => boolean): Promise<void> {
  await queryClient.cancelQueries({ queryKey: sessionsQueryKey });
  queryClient.setQueryData<SessionList>(sessionsQueryKey, (list) => list && { ...list, items: list.items.filter((s) => !ended(s)) });
}

export const ALREADY_ENDED = 'That session had already ended.';

/** What the panel does with a failed request. */
export type SessionsFailure = { kind: 'session-ended' } | { kind: 'already-ended' } | { kind: 'message'; message: string };

const FAILED_TO = {
  load: 'Could not load your sessions.',
  revoke: 'Could not revoke that session.',
  revokeOthers: 'Could not log out your other sessions.',
} as const;

export function sessionsFailure(error: unknown, action: keyof typeof FAILED_TO): SessionsFailure {
  if (isUnauthorized(error)) return { kind: 'session-ended' };
  const problem = toApiProblem(error);
  // Expired or revoked elsewhere meanwhile: it is gone either way.
  if (action === 'revoke' && problem.status === 404) return { kind: 'already-ended' };
  return { kind: 'message', message: `${FAILED_TO[action]} ${problemMessage(problem)}` };
}

/** A revoke is a security event: the activity panel asks again for its list. */
const refreshSecurityEvents = (queryClient: QueryClient) => queryClient.invalidateQueries({ queryKey: securityEventsQueryKey });

function isCurrentSession(queryClient: QueryClient, id: string): boolean {
  return !!queryClient.getQueryData<SessionList>(sessionsQueryKey)?.items.some((s) => s.id === id && s.current);
}

/** Ends one session; its row goes once the server agrees (or says it was already gone). */
export function useRevokeSession() {
  const queryClient = useQueryClient();
  return $api.useMutation('delete', '/sessions/{id}', {
    onSuccess: async (_, { params }) => {
      const own = isCurrentSession(queryClient, params.path.id);
      await forgetSessions(queryClient, (s) => s.id === params.path.id);
      // Revoking this very session is a logout: nothing is left to refresh.
      if (!own) void refreshSecurityEvents(queryClient);
    },
    onError: (error, { params }) =>
      sessionsFailure(error, 'revoke').kind === 'already-ended'
        ? forgetSessions(queryClient, (s) => s.id === params.path.id)
        : undefined,
  });
}

/** Ids of the sessions being revoked right now, so a second click sends nothing. */
export function usePendingRevokes(): string[] {
  return useMutationState({
    filters: { mutationKey: ['delete', '/sessions/{id}'], status: 'pending' },
    select: (mutation) => (mutation.state.variables as { params: { path: { id: string } } }).params.path.id,
  });
}

/** "Log out other sessions": only the current one stays. */
export function useRevokeOtherSessions() {
  const queryClient = useQueryClient();
  return $api.useMutation('delete', '/sessions', {
    onSuccess: async () => {
      await forgetSessions(queryClient, (s) => !s.current);
      void refreshSecurityEvents(queryClient);
    },
  });
}
