import { useCallback, useEffect, useReducer, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { api, type Status, type User } from '../api/client';
import { fieldError, otherFieldErrors, problemMessage, type ApiProblem } from '../api/problem';
import { SessionsPanel } from '../components/SessionsPanel';
import { Spinner } from '../components/Spinner';
import { useNow, useTitle } from '../lib/hooks';
import { STATUS_MAX, codePointLength } from '../lib/text';
import { formatDate, formatDateTime, formatRelative } from '../lib/time';
import { feedReducer, hasMore, initialFeed, nextQuery } from '../state/feed';

interface HomeProps {
  user: User;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
  onLoggedOut: () => void;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

export function HomePage({ user, onSessionEnded, onLoggedOut }: HomeProps) {
  useTitle(`${user.name} · Status`);
  const [feed, dispatch] = useReducer(feedReducer, initialFeed);
  const [loggingOut, setLoggingOut] = useState(false);
  const [logoutError, setLogoutError] = useState<string | null>(null);
  const [fresh, setFresh] = useState<number | null>(null);
  const listRef = useRef<HTMLOListElement>(null);
  const now = useNow();
  // The reducer's latest state, for building the next query.
  const feedRef = useRef(feed);
  feedRef.current = feed;

  const load = useCallback(
    async (first: boolean, signal?: AbortSignal) => {
      dispatch({ type: first ? 'load-first' : 'load-more' });
      const before = listRef.current?.children.length ?? 0;
      const result = await api.fetchStatus(nextQuery(feedRef.current, first), signal);
      if (result.ok) {
        dispatch({ type: 'page-loaded', page: result.data, first });
        // Keyboard users continue at the first of the older statuses.
        if (!first && result.data.items.length) focusAfterRender.current = before;
      } else if (result.problem.status === 401) {
        onSessionEnded();
      } else {
        dispatch({ type: 'load-failed', message: problemMessage(result.problem) });
      }
    },
    [onSessionEnded],
  );

  // Index of a list item to focus once it is rendered (after "Load more").
  const focusAfterRender = useRef<number | null>(null);
  useEffect(() => {
    const index = focusAfterRender.current;
    if (index === null) return;
    const item = listRef.current?.children[index];
    if (item instanceof HTMLElement) {
      focusAfterRender.current = null;
      item.focus();
    }
  }, [feed.items]);

  useEffect(() => {
    const controller = new AbortController();
    load(true, controller.signal).catch(() => {
      /* aborted on unmount */
    });
    return () => controller.abort();
  }, [load]);

  async function logout() {
    if (loggingOut) return;
    setLoggingOut(true);
    setLogoutError(null);
    const result = await api.logout();
    if (result.ok || result.problem.status === 401) {
      onLoggedOut();
      return;
    }
    setLoggingOut(false);
    setLogoutError(`Could not log out. ${problemMessage(result.problem)}`);
  }

  function posted(status: Status) {
    dispatch({ type: 'posted', status });
    setFresh(status.id);
  }

  const initial = [...user.name.trim()][0]?.toUpperCase() ?? '?';

  return (
    <div className="app">
      <header className="topbar">
        <div className="topbar-inner">
          <span className="brand">
            <span className="logo" aria-hidden="true" />
            Status
          </span>
          <button type="button" className="button button--ghost" onClick={logout} aria-disabled={loggingOut}>
            Log out
          </button>
        </div>
      </header>
      <main id="main" className="home">
        <div className="home-main">
          {logoutError ? (
            <p className="form-error" role="alert">
              {logoutError}
            </p>
          ) : null}
          <section className="card profile" aria-labelledby="profile-name">
            <div className="avatar" aria-hidden="true">
              {initial}
            </div>
            <div className="profile-text">
              <h1 id="profile-name" tabIndex={-1} data-autofocus>
                {user.name}
              </h1>
              <p className="profile-email">{user.email}</p>
              <p className="profile-since">
                Member since <time dateTime={user.created_at}>{formatDate(user.created_at)}</time>
              </p>
            </div>
          </section>

          <Composer onPosted={posted} onSessionEnded={onSessionEnded} />

          <section className="feed" aria-labelledby="feed-heading">
            <h2 id="feed-heading">Your statuses</h2>
            {!feed.loaded && feed.loading === 'first' ? (
              <>
                <p className="sr-only" role="status">
                  Loading your statuses…
                </p>
                <ul className="statuses" aria-hidden="true">
                  {[0, 1, 2].map((i) => (
                    <li key={i} className="status status--skeleton">
                      <span className="skeleton-line" />
                      <span className="skeleton-line skeleton-line--short" />
                    </li>
                  ))}
                </ul>
              </>
            ) : null}
            {feed.loaded && feed.items.length === 0 ? (
              <div className="empty">
                <p className="empty-title">No statuses yet</p>
                <p>Write your first one above: it will show up here.</p>
              </div>
            ) : null}
            <ol className="statuses" ref={listRef} hidden={feed.items.length === 0}>
              {feed.items.map((status) => (
                <li key={status.id} className={`status${status.id === fresh ? ' status--fresh' : ''}`} tabIndex={-1}>
                  <p className="status-text">{status.text}</p>
                  <time className="status-time" dateTime={status.created_at} title={formatDateTime(status.created_at)}>
                    {formatRelative(status.created_at, now)}
                  </time>
                </li>
              ))}
            </ol>
            {feed.error ? (
              <div className="form-error" role="alert">
                <p>Could not load your statuses. {feed.error}</p>
                {!feed.loaded ? (
                  <button type="button" className="button" onClick={() => void load(true)}>
                    Try again
                  </button>
                ) : null}
              </div>
            ) : null}
            {hasMore(feed) ? (
              <div className="more">
                <button
                  type="button"
                  className="button"
                  onClick={() => {
                    if (feed.loading === 'none') void load(false);
                  }}
                  aria-disabled={feed.loading !== 'none'}
                >
                  {feed.loading === 'more' ? <Spinner /> : null}
                  Load more
                </button>
              </div>
            ) : null}
          </section>
        </div>

        <SessionsPanel now={now} onSessionEnded={onSessionEnded} onLoggedOut={onLoggedOut} />
      </main>
    </div>
  );
}

function Composer({ onPosted, onSessionEnded }: { onPosted: (s: Status) => void; onSessionEnded: () => void }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const count = codePointLength(text);
  const over = count > STATUS_MAX;
  const blank = text.trim() === '';
  const canPost = !busy && !over && !blank;

  async function post(event?: FormEvent) {
    event?.preventDefault();
    if (!canPost) return;
    setBusy(true);
    setProblem(null);
    setMessage(null);
    const result = await api.addStatus(text);
    setBusy(false);
    if (result.ok) {
      onPosted(result.data);
      setText('');
      setAnnouncement('Posted.');
      return;
    }
    const p = result.problem;
    if (p.status === 401) onSessionEnded();
    else if (p.status === 422) {
      setProblem(p);
      const others = otherFieldErrors(p, ['text']);
      if (others.length) setMessage(others.join(' '));
    } else setMessage(problemMessage(p));
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void post();
    }
  }

  const textError = fieldError(problem, 'text');
  return (
    <section className="card composer">
      <form aria-label="Write a status" onSubmit={post} noValidate>
        <label htmlFor="new-status" className="composer-label">
          New status
        </label>
        <textarea
          id="new-status"
          rows={3}
          placeholder="What's happening?"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (problem) setProblem(null);
            setAnnouncement('');
          }}
          onKeyDown={onKeyDown}
          aria-invalid={over || textError ? true : undefined}
          aria-describedby={`new-status-count new-status-keys${textError ? ' new-status-error' : ''}`}
        />
        {textError ? (
          <p id="new-status-error" className="field-error">
            {textError}
          </p>
        ) : null}
        {message ? (
          <p className="form-error" role="alert">
            {message}
          </p>
        ) : null}
        <div className="composer-footer">
          <span id="new-status-count" className={`counter${over ? ' counter--over' : count > STATUS_MAX - 50 ? ' counter--near' : ''}`}>
            {count} / {STATUS_MAX}
            <span className="sr-only"> characters</span>
            {over ? <span>, {count - STATUS_MAX} too many</span> : null}
          </span>
          <span id="new-status-keys" className="keys">
            <kbd>{isMac ? '⌘' : 'Ctrl'}</kbd>+<kbd>Enter</kbd> to post
          </span>
          <button type="submit" className="button button--primary" aria-disabled={!canPost}>
            {busy ? <Spinner /> : null}
            Post
          </button>
        </div>
        <p className="sr-only" role="status">
          {announcement}
        </p>
      </form>
    </section>
  );
}
