import { useMutationState, useQueryClient, type InfiniteData, type QueryClient } from '@tanstack/react-query';
import { $api, isUnauthorized, toApiProblem, type Status, type StatusPage } from '../api/client';
import { problemMessage } from '../api/problem';
import { firstPage, newestFirstPages } from './paging';

// The home page's list of the user's statuses, newest first, a page at a
// time (GET /fetchStatus), and the statuses posted or deleted from this page.

export const PAGE_SIZE = 20;

const statusesFirstPage = firstPage(PAGE_SIZE);

export const statusesQueryKey = $api.queryOptions('get', '/fetchStatus', statusesFirstPage).queryKey;

export function useStatuses() {
  return $api.useInfiniteQuery('get', '/fetchStatus', statusesFirstPage, newestFirstPages);
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

/**
 * Takes a deleted status out of the list, wherever it is; the pages keep
 * their cursors (the server's `before` works across the gap). A page asked
 * for before the delete is cancelled first: its answer would bring it back.
 */
export async function removeFromStatuses(queryClient: QueryClient, id: number): Promise<void> {
  await queryClient.cancelQueries({ queryKey: statusesQueryKey });
  queryClient.setQueryData<InfiniteData<StatusPage>>(
    statusesQueryKey,
    (feed) => feed && { ...feed, pages: feed.pages.map((page) => ({ ...page, items: page.items.filter((s) => s.id !== id) })) },
  );
}

export const ALREADY_DELETED = 'That status had already been deleted.';

/** What the feed does with a failed delete. */
export type DeleteFailure = { kind: 'session-ended' } | { kind: 'already-deleted' } | { kind: 'message'; message: string };

export function deleteFailure(error: unknown): DeleteFailure {
  if (isUnauthorized(error)) return { kind: 'session-ended' };
  const problem = toApiProblem(error);
  // Deleted from another tab or device meanwhile: it is gone either way.
  if (problem.status === 404) return { kind: 'already-deleted' };
  return { kind: 'message', message: `Could not delete that status. ${problemMessage(problem)}` };
}

/** Deletes one status; it leaves the list once the server agrees (or says it was already gone). */
export function useDeleteStatus() {
  const queryClient = useQueryClient();
  return $api.useMutation('delete', '/statuses/{id}', {
    onSuccess: (_, { params }) => removeFromStatuses(queryClient, params.path.id),
    onError: (error, { params }) =>
      deleteFailure(error).kind === 'already-deleted' ? removeFromStatuses(queryClient, params.path.id) : undefined,
  });
}

/** Ids of the statuses being deleted right now, so a second click sends nothing. */
export function usePendingDeletes(): number[] {
  return useMutationState({
    filters: { mutationKey: ['delete', '/statuses/{id}'], status: 'pending' },
    select: (mutation) => (mutation.state.variables as { params: { path: { id: number } } }).params.path.id,
  });
}
