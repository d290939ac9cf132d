import { useEffect, useMemo, useRef } from 'react';
import type { SessionInfo } from '../api/client';
import { agoText, describeUserAgent, revokeLabels } from '../lib/sessionText';
import { formatDateTime, formatRelative } from '../lib/time';
import {
  ALREADY_ENDED,
  sessionsFailure,
  usePendingRevokes,
  useRevokeOtherSessions,
  useRevokeSession,
  useSessionList,
  type SessionsFailure,
} from '../queries/sessions';
import { ListLoadError, ListSkeleton, RowActionMessages, useRowActionMessages } from './ListStates';
import { Spinner } from './Spinner';

interface SessionsPanelProps {
  /** The current time, for "2 minutes ago". */
  now: number;
  /** A request answered 401: this session is gone (revoked elsewhere, expired). */
  onSessionEnded: () => void;
  /** The current session was revoked from the panel: that is a logout. */
  onLoggedOut: () => void;
}

export function SessionsPanel({ now, onSessionEnded, onLoggedOut }: SessionsPanelProps) {
  const list = useSessionList();
  const revokeSession = useRevokeSession();
  const revokeOtherSessions = useRevokeOtherSessions();
  const pendingIds = usePendingRevokes();
  const messages = useRowActionMessages();
  const headingRef = useRef<HTMLHeadingElement>(null);

  const items = useMemo(() => list.data ?? [], [list.data]);
  const loaded = list.data !== undefined;
  const loadFailure = list.error ? sessionsFailure(list.error, 'load') : null;
  const loadError = loadFailure?.kind === 'message' ? loadFailure.message : null;
  const labels = useMemo(() => revokeLabels(items, formatDateTime), [items]);
  const others = items.filter((s) => !s.current).length;
  const revokingOthers = revokeOtherSessions.isPending;
  const busy = revokingOthers || pendingIds.length > 0;

  useEffect(() => {
    if (loadFailure?.kind === 'session-ended') onSessionEnded();
  }, [loadFailure?.kind, onSessionEnded]);

  function showFailure(failure: SessionsFailure) {
    if (failure.kind === 'session-ended') onSessionEnded();
    else if (failure.kind === 'message') messages.fail(failure.message);
  }

  /** The button that had focus is gone: keep keyboard users in the panel. */
  function rowGone(message: string) {
    headingRef.current?.focus();
    messages.announce(message);
  }

  function revoke(session: SessionInfo) {
    if (pendingIds.includes(session.id) || revokingOthers) return;
    messages.clear();
    revokeSession.mutate(
      { params: { path: { id: session.id } } },
      {
        onSuccess: () => (session.current ? onLoggedOut() : rowGone('Session revoked.')),
        onError: (error) => {
          const failure = sessionsFailure(error, 'revoke');
          if (failure.kind === 'already-ended') {
            messages.note(ALREADY_ENDED);
            rowGone('');
          } else showFailure(failure);
        },
      },
    );
  }

  function revokeOthers() {
    if (busy) return;
    messages.clear();
    revokeOtherSessions.mutate(
      {},
      {
        onSuccess: () => rowGone('Your other sessions have been logged out.'),
        onError: (error) => showFailure(sessionsFailure(error, 'revokeOthers')),
      },
    );
  }

  return (
    <section className="card sessions" aria-labelledby="sessions-heading" aria-busy={!loaded && !loadError}>
      <div className="sessions-head">
        <h2 id="sessions-heading" ref={headingRef} tabIndex={-1}>
          Active sessions
        </h2>
        <p className="hint">Where you are signed in. Revoke any you do not recognise.</p>
      </div>

      {!loaded && !loadError ? (
        <ListSkeleton
          label="Loading your sessions…"
          listClassName="session-list"
          rowClassName="session session--skeleton"
          rows={2}
          lines={['mid', 'short', 'mid']}
        />
      ) : null}

      {loaded ? (
        <ul className="session-list">
          {items.map((s) => {
            const device = describeUserAgent(s.user_agent);
            const pending = pendingIds.includes(s.id);
            return (
              <li key={s.id} className={`session${s.current ? ' session--current' : ''}`}>
                <div className="session-text">
                  <p className="session-device">
                    <span title={s.user_agent || 'No user agent was sent'}>{device}</span>
                    {s.current ? <span className="badge">This device</span> : null}
                  </p>
                  <p className="session-meta session-ip">{s.ip}</p>
                  <p className="session-meta">
                    signed in{' '}
                    <time dateTime={s.created_at} title={formatDateTime(s.created_at)}>
                      {agoText(s.created_at, now, formatRelative)}
                    </time>
                    <span aria-hidden="true"> · </span>
                    last active{' '}
                    <time dateTime={s.last_seen_at} title={formatDateTime(s.last_seen_at)}>
                      {s.current ? 'now' : agoText(s.last_seen_at, now, formatRelative)}
                    </time>
                  </p>
                </div>
                <button
                  type="button"
                  className="button button--small"
                  aria-label={labels.get(s.id)}
                  title={s.current ? 'Ends this session: you will be logged out' : undefined}
                  aria-disabled={pending || revokingOthers}
                  onClick={() => revoke(s)}
                >
                  {pending ? <Spinner /> : null}
                  Revoke
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}

      {loadError ? <ListLoadError message={loadError} retry={list} /> : null}
      <RowActionMessages messages={messages} />

      {loaded && others > 0 ? (
        <div className="sessions-footer">
          <button
            type="button"
            className="button"
            aria-disabled={busy}
            onClick={revokeOthers}
          >
            {revokingOthers ? <Spinner /> : null}
            Log out other sessions
          </button>
        </div>
      ) : loaded ? (
        <p className="hint sessions-footer">This is your only session.</p>
      ) : (
        // Room for the footer while loading, so nothing moves when it comes.
        <div className="sessions-footer" aria-hidden="true" />
      )}
    </section>
  );
}
