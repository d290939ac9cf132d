import { hashKey, queryOptions, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { $api, isUnauthorized, type User } from '../api/client';

// Who is logged in: GET /me, asked once per page load and then kept up to
// date by the app itself (login, logout, a 401 anywhere).

const meRequest = $api.queryOptions('get', '/me');

/** The logged-in user, or null when there is no session (a 401). */
export const meQuery = queryOptions({
  queryKey: meRequest.queryKey,
  queryFn: async (context): Promise<User | null> => {
    try {
      return await meRequest.queryFn(context);
    } catch (error) {
      if (isUnauthorized(error)) return null;
      throw error;
    }
  },
  staleTime: Infinity,
});

export const SESSION_ENDED_NOTICE = 'Your session has ended. Please log in again.';
export const ACCOUNT_DELETED_NOTICE = 'Your account was deleted.';

/** What the login page may be told by whoever sent the user there. */
export interface LoginLocationState {
  notice?: string;
}

/** The ways the session changes, each with its cache update and navigation. */
export function useSessionChanges() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  function forgetEverything() {
    queryClient.setQueryData(meQuery.queryKey, null);
    // Another user may log in next: nothing of this one's may be shown.
    const meHash = hashKey(meQuery.queryKey);
    queryClient.removeQueries({ predicate: (query) => query.queryHash !== meHash });
  }

  return {
    loggedIn(user: User) {
      queryClient.setQueryData(meQuery.queryKey, user);
      void navigate('/home');
    },
    loggedOut() {
      forgetEverything();
      void navigate('/');
    },
    /**
     * POST /password/reset answered 200: logged in with a new session, maybe
     * in a browser where another account was: nothing of that one may stay.
     */
    passwordReset(user: User) {
      forgetEverything();
      queryClient.setQueryData(meQuery.queryKey, user);
      void navigate('/home', { replace: true });
    },
    /** A request answered 401: the session was revoked elsewhere or expired. */
    sessionEnded() {
      forgetEverything();
      const state: LoginLocationState = { notice: SESSION_ENDED_NOTICE };
      void navigate('/', { replace: true, state });
    },
    /** DELETE /me answered 204: nothing of the account may stay in the cache. */
    accountDeleted() {
      forgetEverything();
      const state: LoginLocationState = { notice: ACCOUNT_DELETED_NOTICE };
      void navigate('/', { replace: true, state });
    },
  };
}
