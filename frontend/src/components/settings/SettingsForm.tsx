import type { FormEvent, KeyboardEvent, ReactNode } from 'react';
import { FormMessages } from '../FormMessages';
import { SubmitButton } from '../SubmitButton';

interface SettingsFormProps {
  /** The form's accessible name. */
  name: string;
  /** The submit button's label. */
  action: string;
  /** "danger" for the irreversible ones (deleting the account). */
  tone?: 'danger';
  busy: boolean;
  /** Form-level messages (role="alert"). */
  messages: string[];
  /** A neutral note, e.g. that a wait is over (role="status"). */
  note?: string | null;
  /**
   * What the form says once the change is made (role="status", beside the
   * button). Left out by a form that is put away when done.
   */
  saved?: string;
  /** Other buttons beside the submit one (e.g. "Cancel"). */
  actions?: ReactNode;
  onSubmit: () => void;
  onKeyDown?: (event: KeyboardEvent) => void;
  children: ReactNode;
}

/** The frame of a settings card's form: fields, messages, the submit button and what it did. */
export function SettingsForm({ name, action, tone, busy, messages, note = null, saved, actions, onSubmit, onKeyDown, children }: SettingsFormProps) {
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }
  return (
    <form className="settings-form" aria-label={name} onSubmit={submit} onKeyDown={onKeyDown} noValidate>
      {children}
      <FormMessages messages={messages} note={note} />
      <div className="settings-actions">
        <SubmitButton busy={busy} tone={tone ?? 'primary'}>
          {action}
        </SubmitButton>
        {actions}
        {saved !== undefined ? (
          <p className="hint hint--ok" role="status">
            {saved}
          </p>
        ) : null}
      </div>
    </form>
  );
}
