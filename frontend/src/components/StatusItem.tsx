import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import type { Status } from '../api/client';
import { formatDateTime, formatRelative } from '../lib/time';
import { Spinner } from './Spinner';

interface StatusItemProps {
  status: Status;
  /** Just posted from this page: highlighted once. */
  fresh: boolean;
  now: number;
  /** The delete button's accessible name, unique in the list (see lib/statusText.ts). */
  deleteLabel: string;
  /** Its DELETE is on its way. */
  deleting: boolean;
  onDelete: (status: Status) => void;
}

/**
 * One of the user's statuses, with "Delete" asking for a confirmation in
 * place. "Cancel" sits where "Delete" was, so a double click cancels rather
 * than deletes, and takes the focus, as the least harmful choice.
 */
export function StatusItem({ status, fresh, now, deleteLabel, deleting, onDelete }: StatusItemProps) {
  const [confirming, setConfirming] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const questionId = useId();
  // Where the focus goes when the question appears or goes away.
  const moveFocus = useRef(false);

  useEffect(() => {
    if (!moveFocus.current) return;
    moveFocus.current = false;
    (confirming ? cancelRef : deleteRef).current?.focus();
  }, [confirming]);

  function ask(value: boolean) {
    moveFocus.current = true;
    setConfirming(value);
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape' && !deleting) {
      event.stopPropagation();
      ask(false);
    }
  }

  return (
    <li className={`status${fresh ? ' status--fresh' : ''}${confirming ? ' status--confirming' : ''}`} tabIndex={-1}>
      <p className="status-text">{status.text}</p>
      <div className="status-footer">
        <time className="status-time" dateTime={status.created_at} title={formatDateTime(status.created_at)}>
          {formatRelative(status.created_at, now)}
        </time>
        {confirming ? (
          <div className="status-confirm" role="group" aria-labelledby={questionId} onKeyDown={onKeyDown}>
            <span id={questionId} className="status-question">
              Delete this status?
            </span>
            <button
              type="button"
              className="button button--danger button--small"
              aria-disabled={deleting}
              onClick={() => {
                if (!deleting) onDelete(status);
              }}
            >
              {deleting ? <Spinner /> : null}
              Delete
            </button>
            <button
              type="button"
              ref={cancelRef}
              className="button button--small"
              aria-disabled={deleting}
              onClick={() => {
                if (!deleting) ask(false);
              }}
            >
              Cancel
            </button>
          </div>
        ) : (
          <button
            type="button"
            ref={deleteRef}
            className="button button--ghost button--small status-delete"
            aria-label={deleteLabel}
            onClick={() => ask(true)}
          >
            Delete
          </button>
        )}
      </div>
    </li>
  );
}
