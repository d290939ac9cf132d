import type { FormEvent, ReactNode } from 'react';
import { FormMessages } from '../FormMessages';
import { SubmitButton } from '../SubmitButton';

interface AuthFormProps {
  /** The form's accessible name and its button's label. */
  name: string;
  action: string;
  busy: boolean;
  /** Form-level messages (role="alert"). */
  messages: string[];
  /** A neutral note, e.g. that a wait is over (role="status"). */
  note: string | null;
  onSubmit: () => void;
  children: ReactNode;
}

/** The frame both the log-in and the register form share: fields, messages, one button. */
export function AuthForm({ name, action, busy, messages, note, onSubmit, children }: AuthFormProps) {
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }
  return (
    <form aria-label={name} onSubmit={submit} noValidate>
      {children}
      <FormMessages messages={messages} note={note} />
      <SubmitButton busy={busy}>{action}</SubmitButton>
    </form>
  );
}
