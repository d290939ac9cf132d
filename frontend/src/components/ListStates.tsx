import type { ReactNode } from 'react';
import { Spinner } from './Spinner';

// What the home page's lists (statuses, active sessions, security activity)
// show around their rows: grey rows while loading, a failed load with "Try
// again", and "Load more" for the paged ones.

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
