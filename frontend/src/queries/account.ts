import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { $api, type User } from '../api/client';
import { meQuery } from './session';

// Changes to the account from the settings page: PATCH /me (the name).

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
