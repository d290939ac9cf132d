import { $api, isUnauthorized, toApiProblem } from '../api/client';
import { problemMessage } from '../api/problem';
import { firstPage, newestFirstPages } from './paging';

// The home page's "Security activity" panel: GET /me/security-events, newest
// first, a page at a time (see "Security events" in API.md).

/** A side panel: fewer rows than the statuses' page. */
export const EVENTS_PAGE_SIZE = 10;

const eventsFirstPage = firstPage(EVENTS_PAGE_SIZE);

export const securityEventsQueryKey = $api.queryOptions('get', '/me/security-events', eventsFirstPage).queryKey;

export function useSecurityEvents() {
  return $api.useInfiniteQuery('get', '/me/security-events', eventsFirstPage, {
    ...newestFirstPages,
    // Back to this tab: there may have been logins elsewhere meanwhile.
    refetchOnWindowFocus: true,
  });
}

/** What the panel does with a failed load: a 401 ends the session, anything else is said. */
export function securityEventsFailure(error: unknown): { kind: 'session-ended' } | { kind: 'message'; message: string } {
  if (isUnauthorized(error)) return { kind: 'session-ended' };
  return { kind: 'message', message: `Could not load your security activity. ${problemMessage(toApiProblem(error))}` };
}
