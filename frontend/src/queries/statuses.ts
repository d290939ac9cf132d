import { useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { $api, type Status, type StatusPage } from '../api/client';

// The home page's list of the user's statuses, newest first, a page at a
// time (GET /fetchStatus), and the statuses posted from this page.

export const PAGE_SIZE = 20;

const firstPage = { params: { query: { limit: PAGE_SIZE } } };

export const statusesQueryKey = $api.queryOptions('get', '/fetchStatus', firstPage).queryKey;

export function useStatuses() {
  return $api.useInfiniteQuery('get', '/fetchStatus', firstPage, {
    pageParamName: 'before',
    // No `before` at all for the first page (null is left out of the query).
    initialPageParam: null,
    getNextPageParam: (page: StatusPage) => page.next_before,
  });
}

/**
 * Puts a status just posted on top of the list at once. A page asked for
 * before it is cancelled, as its answer would drop the new status; if no page
 * had arrived yet, the list is asked for again (and then contains it).
 */
export async function addToStatuses(queryClient: QueryClient, status: Status): Promise<void> {
  await queryClient.cancelQueries({ queryKey: statusesQueryKey });
  const feed = queryClient.getQueryData<InfiniteData<StatusPage>>(statusesQueryKey);
  const [newest, ...older] = feed?.pages ?? [];
  if (!feed || !newest) {
    await queryClient.invalidateQueries({ queryKey: statusesQueryKey });
    return;
  }
  if (feed.pages.some((page) => page.items.some((s) => s.id === status.id))) return;
  queryClient.setQueryData<InfiniteData<StatusPage>>(statusesQueryKey, {
    ...feed,
    pages: [{ ...newest, items: [status, ...newest.items] }, ...older],
  });
}

export function usePostStatus() {
  const queryClient = useQueryClient();
  return $api.useMutation('post', '/addStatus', {
    onSuccess: (status) => addToStatuses(queryClient, status),
  });
}
