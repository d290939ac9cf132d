import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { $api, type User } from '../api/client';
import { showUpdatedUser } from './account';
import { securityEventsQueryKey } from './securityEvents';
import { meQuery } from './session';

// The email flows: using a mailed link's token (POST /email/verify), asking
// for a password reset and doing it, asking for another verification link,
// changing the address.

/**
 * A verification link worked. When this browser is logged into that account,
 * every page shows the answer at once (verified, or the new address), and the
 * activity has a new event; another account logged in here is left alone.
 */
export async function showVerifiedUser(queryClient: QueryClient, user: User): Promise<void> {
  if (queryClient.getQueryData<User | null>(meQuery.queryKey)?.id !== user.id) return;
  await showUpdatedUser(queryClient, user);
  await queryClient.invalidateQueries({ queryKey: securityEventsQueryKey });
}

export function useVerifyEmail() {
  const queryClient = useQueryClient();
  return $api.useMutation('post', '/email/verify', {
    onSuccess: (user) => showVerifiedUser(queryClient, user),
  });
}

/** POST /password/forgot: 202 whether or not the address has an account. */
export function useForgotPassword() {
  return $api.useMutation('post', '/password/forgot');
}

/** POST /password/reset: the answer is the user, logged in (`useSessionChanges().passwordReset`). */
export function useResetPassword() {
  return $api.useMutation('post', '/password/reset');
}

/** POST /email/verify/resend: a new link to the account's address (a "verification-sent" event). */
export function useResendVerification() {
  const queryClient = useQueryClient();
  return $api.useMutation('post', '/email/verify/resend', {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: securityEventsQueryKey }),
  });
}

/** POST /me/email: a link goes to the new address; the email changes only once it is used. */
export function useChangeEmail() {
  const queryClient = useQueryClient();
  return $api.useMutation('post', '/me/email', {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: securityEventsQueryKey }),
  });
}
