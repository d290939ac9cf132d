import { useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { api, type SessionInfo } from '../api/client';
import { formatDateTime, formatRelative } from '../lib/time';
import {
  agoText,
  createSessionsStore,
  describeUserAgent,
  initialSessions,
  revokeLabels,
  type SessionsCallbacks,
  type SessionsStore,
} from '../state/sessions';
import { Spinner } from './Spinner';

const noop = () => () => {};
const initial = () => initialSessions;

/** The store lives from mount to unmount (twice under StrictMode, each disposed). */
function useSessionsStore(callbacks: SessionsCallbacks): [ReturnType<SessionsStore['getState']>, SessionsStore | null] {
  const latest = useRef(callbacks);
  latest.current = callbacks;
  const [store, setStore] = useState<SessionsStore | null>(null);

  useEffect(() => {
    const instance = createSessionsStore(api, {
      onSessionEnded: () => latest.current.onSessionEnded(),
      onLoggedOut: () => latest.current.onLoggedOut(),
    });
    setStore(instance);
    void instance.load();
    // Back to this tab: the list may have changed on another device.
    const onVisible = () => {
      if (document.visibilityState === 'visible') void instance.load();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      instance.dispose();
    };
  }, []);

  const state = useSyncExternalStore(store ? store.subscribe : noop, store ? store.getState : initial);
  return [state, store];
}

interface SessionsPanelProps extends SessionsCallbacks {
  /** The current time, for "2 minutes ago". */
  now: number;
}

export function SessionsPanel({ now, onSessionEnded, onLoggedOut }: SessionsPanelProps) {
  const [state, store] = useSessionsStore({ onSessionEnded, onLoggedOut });
  const [announcement, setAnnouncement] = useState('');
  const headingRef = useRef<HTMLHeadingElement>(null);
  const labels = useMemo(() => revokeLabels(state.items, formatDateTime), [state.items]);
  const others = state.items.filter((s) => !s.current).length;
  const busy = state.revokingOthers || state.pending.length > 0;

  async function revoke(session: SessionInfo) {
    if (!store) return;
    setAnnouncement('');
    await store.revoke(session);
    const after = store.getState();
    if (!after.items.some((s) => s.id === session.id)) {
      // The button that had focus is gone: keep keyboard users in the panel.
      headingRef.current?.focus();
      if (!after.notice) setAnnouncement('Session revoked.');
    }
  }

  async function revokeOthers() {
    if (!store) return;
    setAnnouncement('');
    await store.revokeOthers();
    if (!store.getState().items.some((s) => !s.current)) {
      headingRef.current?.focus();
      setAnnouncement('Your other sessions have been logged out.');
    }
  }

  return (
    <section className="card sessions" aria-labelledby="sessions-heading" aria-busy={!state.loaded && !state.loadError}>
      <div className="sessions-head">
        <h2 id="sessions-heading" ref={headingRef} tabIndex={-1}>
          Active sessions
        </h2>
        <p className="hint">Where you are signed in. Revoke any you do not recognise.</p>
      </div>

      {!state.loaded && !state.loadError ? (
        <>
          <p className="sr-only">Loading your sessions…</p>
          <ul className="session-list" aria-hidden="true">
            {[0, 1].map((i) => (
              <li key={i} className="session session--skeleton">
                <span className="skeleton-line skeleton-line--mid" />
                <span className="skeleton-line skeleton-line--short" />
                <span className="skeleton-line skeleton-line--mid" />
              </li>
            ))}
          </ul>
        </>
      ) : null}

      {state.loaded ? (
        <ul className="session-list">
          {state.items.map((s) => {
            const device = describeUserAgent(s.user_agent);
            const pending = state.pending.includes(s.id);
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
                  aria-disabled={pending || state.revokingOthers}
                  onClick={() => {
                    if (!pending && !state.revokingOthers) void revoke(s);
                  }}
                >
                  {pending ? <Spinner /> : null}
                  Revoke
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}

      {state.loadError ? (
        <div className="form-error" role="alert">
          <p>{state.loadError}</p>
          <button type="button" className="button" aria-disabled={state.loading} onClick={() => store && void store.load()}>
            {state.loading ? <Spinner /> : null}
            Try again
          </button>
        </div>
      ) : null}
      {state.actionError ? (
        <p className="form-error" role="alert">
          {state.actionError}
        </p>
      ) : null}
      <p className={state.notice ? 'form-note' : 'sr-only'} role="status">
        {state.notice ?? announcement}
      </p>

      {state.loaded && others > 0 ? (
        <div className="sessions-footer">
          <button
            type="button"
            className="button"
            aria-disabled={busy}
            onClick={() => {
              if (!busy) void revokeOthers();
            }}
          >
            {state.revokingOthers ? <Spinner /> : null}
            Log out other sessions
          </button>
        </div>
      ) : state.loaded ? (
        <p className="hint sessions-footer">This is your only session.</p>
      ) : (
        // Room for the footer while loading, so nothing moves when it comes.
        <div className="sessions-footer" aria-hidden="true" />
      )}
    </section>
  );
}
