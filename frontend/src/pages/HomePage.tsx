import { useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { isUnauthorized, toApiProblem, type Status, type User } from '../api/client';
import { fieldError, otherFieldErrors, problemMessage, type ApiProblem } from '../api/problem';
import { ListLoadError, ListSkeleton, LoadMoreButton, RowActionMessages, useRowActionMessages } from '../components/ListStates';
import { SecurityActivityPanel } from '../components/SecurityActivityPanel';
import { SessionsPanel } from '../components/SessionsPanel';
import { StatusItem } from '../components/StatusItem';
import { SubmitButton } from '../components/SubmitButton';
import { TopBar } from '../components/TopBar';
import { VerifyEmailBanner } from '../components/email/VerifyEmailBanner';
import { usePagedList } from '../components/usePagedList';
import { useNow, useTitle } from '../lib/hooks';
import { deleteLabels } from '../lib/statusText';
import { STATUS_MAX, codePointLength } from '../lib/text';
import { formatDate, formatDateTime } from '../lib/time';
import { ALREADY_DELETED, deleteFailure, useDeleteStatus, usePendingDeletes, usePostStatus, useStatuses } from '../queries/statuses';

interface HomeProps {
  user: User;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
  onLoggedOut: () => void;
}

const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

export function HomePage({ user, onSessionEnded, onLoggedOut }: HomeProps) {
  useTitle(`${user.name} · Status`);
  const feed = useStatuses();
  const { items: statuses, listRef, loadMore } = usePagedList(feed);
  const [fresh, setFresh] = useState<number | null>(null);
  const feedHeadingRef = useRef<HTMLHeadingElement>(null);
  const now = useNow();
  const labels = useMemo(() => deleteLabels(statuses, formatDateTime), [statuses]);
  const deleteStatus = useDeleteStatus();
  const pendingDeletes = usePendingDeletes();
  const deleteMessages = useRowActionMessages();
  /** The status just deleted and its place: focus goes to what took that place. */
  const [focusAfterDelete, setFocusAfterDelete] = useState<{ id: number; index: number } | null>(null);
  const loaded = feed.data !== undefined;
  const feedError = feed.error && !isUnauthorized(feed.error) ? problemMessage(toApiProblem(feed.error)) : null;

  useEffect(() => {
    if (isUnauthorized(feed.error)) onSessionEnded();
  }, [feed.error, onSessionEnded]);

  // The button that had focus left with its status: keep keyboard users in
  // the list, at the status that now has its place (or the heading).
  useEffect(() => {
    if (!focusAfterDelete || statuses.some((s) => s.id === focusAfterDelete.id)) return;
    const items = listRef.current?.children;
    const next = items?.[Math.min(focusAfterDelete.index, items.length - 1)];
    (next instanceof HTMLElement ? next : feedHeadingRef.current)?.focus();
    setFocusAfterDelete(null);
  }, [focusAfterDelete, statuses]);

  function remove(status: Status) {
    if (pendingDeletes.includes(status.id)) return;
    deleteMessages.clear();
    const gone = () => setFocusAfterDelete({ id: status.id, index: statuses.findIndex((s) => s.id === status.id) });
    deleteStatus.mutate(
      { params: { path: { id: status.id } } },
      {
        onSuccess: () => {
          gone();
          deleteMessages.announce('Status deleted.');
        },
        onError: (error) => {
          const failure = deleteFailure(error);
          if (failure.kind === 'session-ended') onSessionEnded();
          else if (failure.kind === 'already-deleted') {
            gone();
            deleteMessages.note(ALREADY_DELETED);
          } else deleteMessages.fail(failure.message);
        },
      },
    );
  }

  const initial = [...user.name.trim()][0]?.toUpperCase() ?? '?';

  return (
    <div className="app">
      <TopBar user={user} onLoggedOut={onLoggedOut} />
      <VerifyEmailBanner user={user} onSessionEnded={onSessionEnded} />
      <main id="main" className="home">
        <div className="home-main">
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

          <Composer onPosted={(status) => setFresh(status.id)} onSessionEnded={onSessionEnded} />

          <section className="feed" aria-labelledby="feed-heading">
            <h2 id="feed-heading" ref={feedHeadingRef} tabIndex={-1}>
              Your statuses
            </h2>
            {feed.isPending ? (
              <ListSkeleton
                label="Loading your statuses…"
                announce
                listClassName="statuses"
                rowClassName="status status--skeleton"
                rows={3}
                lines={['full', 'short']}
              />
            ) : null}
            {/* All shown ones deleted, older ones still to load: not "no statuses". */}
            {loaded && statuses.length === 0 && !feed.hasNextPage ? (
              <div className="empty">
                <p className="empty-title">No statuses yet</p>
                <p>Write your first one above: it will show up here.</p>
              </div>
            ) : null}
            <ol className="statuses" ref={listRef} hidden={statuses.length === 0}>
              {statuses.map((status) => (
                <StatusItem
                  key={status.id}
                  status={status}
                  fresh={status.id === fresh}
                  now={now}
                  deleteLabel={labels.get(status.id) ?? 'Delete status'}
                  deleting={pendingDeletes.includes(status.id)}
                  onDelete={remove}
                />
              ))}
            </ol>
            <RowActionMessages messages={deleteMessages} />
            {feedError ? (
              <ListLoadError message={`Could not load your statuses. ${feedError}`} retry={loaded ? undefined : feed} />
            ) : null}
            <LoadMoreButton query={feed} onLoadMore={loadMore}>
              Load more
            </LoadMoreButton>
          </section>
        </div>

        <div className="home-side">
          <SessionsPanel now={now} onSessionEnded={onSessionEnded} onLoggedOut={onLoggedOut} />
          <SecurityActivityPanel now={now} onSessionEnded={onSessionEnded} />
        </div>
      </main>
    </div>
  );
}

function Composer({ onPosted, onSessionEnded }: { onPosted: (s: Status) => void; onSessionEnded: () => void }) {
  const [text, setText] = useState('');
  const postStatus = usePostStatus();
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const count = codePointLength(text);
  const over = count > STATUS_MAX;
  const blank = text.trim() === '';
  const busy = postStatus.isPending;
  const canPost = !busy && !over && !blank;

  function post(event?: FormEvent) {
    event?.preventDefault();
    if (!canPost) return;
    setProblem(null);
    setMessage(null);
    postStatus.mutate(
      { body: { text } },
      {
        onSuccess: (status) => {
          onPosted(status);
          setText('');
          setAnnouncement('Posted.');
        },
        onError: (error) => {
          const p = toApiProblem(error);
          if (p.status === 401) onSessionEnded();
          else if (p.status === 422) {
            setProblem(p);
            const others = otherFieldErrors(p, ['text']);
            if (others.length) setMessage(others.join(' '));
          } else setMessage(problemMessage(p));
        },
      },
    );
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      post();
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
          <SubmitButton busy={busy} disabled={over || blank}>
            Post
          </SubmitButton>
        </div>
        <p className="sr-only" role="status">
          {announcement}
        </p>
      </form>
    </section>
  );
}
