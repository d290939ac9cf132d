import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { $api, type User } from '../api/client';
import { securityEventsQueryKey } from './securityEvents';
import { meQuery } from './session';
import { sessionsQueryKey } from './sessions';

// Changes to the account from the settings page: PATCH /me (the name),
// POST /me/password, DELETE /me.

/**
 * Shows the user as the server now has it everywhere in the app (the header,
 * the home page's profile): the cached GET /me is replaced. A GET /me asked
 * for before is cancelled first, as its answer would bring the old name back.
 */
export async function showUpdatedUser(queryClient: QueryClient, user: User): Promise<void> {
  await queryClient.cancelQueries({ queryKey: meQuery.queryKey });
  queryClient.setQueryData(meQuery.queryKey, user);
}

export function useRename() {
  const queryClient = useQueryClient();
  return $api.useMutation('patch', '/me', {
    onSuccess: (user) => showUpdatedUser(queryClient, user),
  });
}

/**
 * After a password change every other session has ended and this browser has
 * a new one: the cached session list is out of date, and so is the activity
 * (a "password-changed" event).
 */
export async function refreshAfterPasswordChange(queryClient: QueryClient): Promise<void> {
  await Promise.all([
    queryClient.invalidateQueries({ queryKey: sessionsQueryKey }),
    queryClient.invalidateQueries({ queryKey: securityEventsQueryKey }),
  ]);
}

export function useChangePassword() {
  const queryClient = useQueryClient();
  return $api.useMutation('post', '/me/password', {
    onSuccess: () => refreshAfterPasswordChange(queryClient),
  });
}

/** DELETE /me; what follows (forgetting everything, the login page) is `useSessionChanges().accountDeleted`. */
export function useDeleteAccount() {
  return $api.useMutation('delete', '/me');
}
