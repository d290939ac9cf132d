import { useEffect, useRef } from 'react';
import { eventLabel, isWarningEvent } from '../lib/securityEventText';
import { agoText, describeUserAgent } from '../lib/sessionText';
import { formatDateTime, formatRelative } from '../lib/time';
import { securityEventsFailure, useSecurityEvents } from '../queries/securityEvents';
import { Spinner } from './Spinner';

interface SecurityActivityPanelProps {
  /** The current time, for "2 minutes ago". */
  now: number;
  /** A request answered 401: this session is gone. */
  onSessionEnded: () => void;
}

/** "Security activity": what happened to the account and from where, newest first. */
export function SecurityActivityPanel({ now, onSessionEnded }: SecurityActivityPanelProps) {
  const events = useSecurityEvents();
  const listRef = useRef<HTMLOListElement>(null);
  const items = events.data?.pages.flatMap((page) => page.items) ?? [];
  const loaded = events.data !== undefined;
  const failure = events.error ? securityEventsFailure(events.error) : null;
  const error = failure?.kind === 'message' ? failure.message : null;

  useEffect(() => {
    if (failure?.kind === 'session-ended') onSessionEnded();
  }, [failure?.kind, onSessionEnded]);

  // Keyboard users continue at the first of the older events after "Load more".
  const focusAfterRender = useRef<number | null>(null);
  useEffect(() => {
    const index = focusAfterRender.current;
    if (index === null) return;
    const item = listRef.current?.children[index];
    if (item instanceof HTMLElement) {
      focusAfterRender.current = null;
      item.focus();
    }
  }, [items.length]);

  async function loadMore() {
    if (events.isFetching) return;
    focusAfterRender.current = items.length;
    const result = await events.fetchNextPage();
    if (result.isError) focusAfterRender.current = null;
  }

  return (
    <section className="card activity" aria-labelledby="activity-heading" aria-busy={!loaded && !error}>
      <div className="sessions-head">
        <h2 id="activity-heading">Security activity</h2>
        <p className="hint">Logins and changes to your account, newest first.</p>
      </div>

      {!loaded && !error ? (
        <>
          <p className="sr-only">Loading your security activity…</p>
          <ul className="event-list" aria-hidden="true">
            {[0, 1, 2].map((i) => (
              <li key={i} className="event event--skeleton">
                <span className="skeleton-line skeleton-line--mid" />
                <span className="skeleton-line skeleton-line--short" />
              </li>
            ))}
          </ul>
        </>
      ) : null}

      {loaded && items.length === 0 ? <p className="hint">No activity yet.</p> : null}
      <ol className="event-list" ref={listRef} hidden={items.length === 0}>
        {items.map((event) => (
          <li key={event.id} className={`event${isWarningEvent(event.type) ? ' event--warn' : ''}`} tabIndex={-1}>
            <p className="event-type">{eventLabel(event.type)}</p>
            <time className="event-time" dateTime={event.at} title={formatDateTime(event.at)}>
              {agoText(event.at, now, formatRelative)}
            </time>
            <p className="event-meta">
              <span title={event.user_agent || 'No user agent was sent'}>{describeUserAgent(event.user_agent)}</span>
              <span aria-hidden="true"> · </span>
              <span className="sr-only">, from </span>
              <span className="session-ip">{event.ip}</span>
            </p>
          </li>
        ))}
      </ol>

      {error ? (
        <div className="form-error" role="alert">
          <p>{error}</p>
          {!loaded ? (
            <button
              type="button"
              className="button"
              aria-disabled={events.isFetching}
              onClick={() => {
                if (!events.isFetching) void events.refetch();
              }}
            >
              {events.isFetching ? <Spinner /> : null}
              Try again
            </button>
          ) : null}
        </div>
      ) : null}

      {events.hasNextPage ? (
        <div className="more">
          <button type="button" className="button" onClick={() => void loadMore()} aria-disabled={events.isFetching}>
            {events.isFetchingNextPage ? <Spinner /> : null}
            Load more<span className="sr-only"> activity</span>
          </button>
        </div>
      ) : null}
    </section>
  );
}
