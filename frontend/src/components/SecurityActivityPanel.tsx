import { useEffect } from 'react';
import { eventLabel, isWarningEvent } from '../lib/securityEventText';
import { agoText, describeUserAgent } from '../lib/sessionText';
import { formatDateTime, formatRelative } from '../lib/time';
import { securityEventsFailure, useSecurityEvents } from '../queries/securityEvents';
import { ListLoadError, ListSkeleton, LoadMoreButton } from './ListStates';
import { usePagedList } from './usePagedList';

interface SecurityActivityPanelProps {
  /** The current time, for "2 minutes ago". */
  now: number;
  /** A request answered 401: this session is gone. */
  onSessionEnded: () => void;
}

/** "Security activity": what happened to the account and from where, newest first. */
export function SecurityActivityPanel({ now, onSessionEnded }: SecurityActivityPanelProps) {
  const events = useSecurityEvents();
  const { items, listRef, loadMore } = usePagedList(events);
  const loaded = events.data !== undefined;
  const failure = events.error ? securityEventsFailure(events.error) : null;
  const error = failure?.kind === 'message' ? failure.message : null;

  useEffect(() => {
    if (failure?.kind === 'session-ended') onSessionEnded();
  }, [failure?.kind, onSessionEnded]);

  return (
    <section className="card activity" aria-labelledby="activity-heading" aria-busy={!loaded && !error}>
      <div className="sessions-head">
        <h2 id="activity-heading">Security activity</h2>
        <p className="hint">Logins and changes to your account, newest first.</p>
      </div>

      {!loaded && !error ? (
        <ListSkeleton
          label="Loading your security activity…"
          listClassName="event-list"
          rowClassName="event event--skeleton"
          rows={3}
          lines={['mid', 'short']}
        />
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

      {error ? <ListLoadError message={error} retry={loaded ? undefined : events} /> : null}

      <LoadMoreButton query={events} onLoadMore={loadMore}>
        Load more<span className="sr-only"> activity</span>
      </LoadMoreButton>
    </section>
  );
}
