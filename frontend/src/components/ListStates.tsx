import { useState, type ReactNode } from 'react';
import { Spinner } from './Spinner';

// What the home page's lists (statuses, active sessions, security activity)
// show around their rows: grey rows while loading, a failed load with "Try
// again", "Load more" for the paged ones, and what came of an action on a
// row (deleting a status, revoking a session).

type SkeletonLine = 'full' | 'mid' | 'short';

interface ListSkeletonProps {
  /** Said to screen readers instead of the grey rows. */
  label: string;
  /** Say it as a status (role="status") when it appears: the page's main list. */
  announce?: boolean;
  /** The classes of the list and of its rows, so the grey rows take the real ones' place. */
  listClassName: string;
  rowClassName: string;
  rows: number;
  /** The width of each grey line of a row. */
  lines: SkeletonLine[];
}

/** Grey rows in the list's own shape while its first answer is on its way. */
export function ListSkeleton({ label, announce, listClassName, rowClassName, rows, lines }: ListSkeletonProps) {
  return (
    <>
      <p className="sr-only" role={announce ? 'status' : undefined}>
        {label}
      </p>
      <ul className={listClassName} aria-hidden="true">
        {Array.from({ length: rows }, (_, i) => (
          <li key={i} className={rowClassName}>
            {lines.map((width, j) => (
              <span key={j} className={width === 'full' ? 'skeleton-line' : `skeleton-line skeleton-line--${width}`} />
            ))}
          </li>
        ))}
      </ul>
    </>
  );
}

/** The part of a query that "Try again" uses. */
interface Refetchable {
  isFetching: boolean;
  refetch: () => Promise<unknown>;
}

/** A list that could not be loaded: why, and "Try again" when `retry` is given. */
export function ListLoadError({ message, retry }: { message: string; retry?: Refetchable | undefined }) {
  return (
    <div className="form-error" role="alert">
      <p>{message}</p>
      {retry ? (
        <button
          type="button"
          className="button"
          aria-disabled={retry.isFetching}
          onClick={() => {
            if (!retry.isFetching) void retry.refetch();
          }}
        >
          {retry.isFetching ? <Spinner /> : null}
          Try again
        </button>
      ) : null}
    </div>
  );
}

interface LoadMoreButtonProps {
  /** The part of a paged query (useInfiniteQuery) that the button shows. */
  query: { hasNextPage: boolean; isFetching: boolean; isFetchingNextPage: boolean };
  onLoadMore: () => unknown;
  /** The button's text, which is its accessible name. */
  children: ReactNode;
}

/** "Load more" below a paged list, while there are older pages. */
export function LoadMoreButton({ query, onLoadMore, children }: LoadMoreButtonProps) {
  if (!query.hasNextPage) return null;
  return (
    <div className="more">
      <button type="button" className="button" onClick={() => void onLoadMore()} aria-disabled={query.isFetching}>
        {query.isFetchingNextPage ? <Spinner /> : null}
        {children}
      </button>
    </div>
  );
}

/**
 * What came of the last action on a list's rows: a failure (role="alert"), a
 * visible note (e.g. that the row had already gone), or an announcement for
 * screen readers only (e.g. "Status deleted.", the row itself being gone).
 */
export function useRowActionMessages() {
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  return {
    error,
    notice,
    announcement,
    /** A new action starts: what the last one said goes. */
    clear() {
      setError(null);
      setNotice(null);
      setAnnouncement('');
    },
    fail: setError,
    note: setNotice,
    announce: setAnnouncement,
  };
}

/** Shows useRowActionMessages; the status line is always there, so screen readers hear it change. */
export function RowActionMessages({ messages }: { messages: ReturnType<typeof useRowActionMessages> }) {
  return (
    <>
      {messages.error ? (
        <p className="form-error" role="alert">
          {messages.error}
        </p>
      ) : null}
      <p className={messages.notice ? 'form-note' : 'sr-only'} role="status">
        {messages.notice ?? messages.announcement}
      </p>
    </>
  );
}
