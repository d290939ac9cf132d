import { useRef, useState } from 'react';
import type { User } from '../../api/client';
import { fieldError } from '../../api/problem';
import { useChangeEmail } from '../../queries/email';
import { changeEmailFailure } from '../../state/authForm';
import { changeEmailSent } from '../../state/emailFlows';
import { useAuthSubmit } from '../auth/useAuthSubmit';
import { Field } from '../Field';
import { SettingsForm } from './SettingsForm';
import { SettingsSection } from './SettingsSection';

interface EmailSectionProps {
  user: User;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
}

/**
 * "Change email": POST /me/email with the password. A link goes to the new
 * address, and the account moves to it only once that link is opened.
 */
export function EmailSection({ user, onSessionEnded }: EmailSectionProps) {
  const [newEmail, setNewEmail] = useState('');
  const [password, setPassword] = useState('');
  const [saved, setSaved] = useState('');
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const form = useAuthSubmit({
    request: useChangeEmail(),
    describeFailure: changeEmailFailure,
    onSuccess: () => {
      setSaved(changeEmailSent(newEmail));
      setNewEmail('');
      setPassword('');
    },
    onFailure: (failure) => {
      if (failure.sessionEnded) return onSessionEnded();
      if (failure.problem?.status === 403) {
        // A wrong password: type it again, from the keyboard.
        setPassword('');
        passwordRef.current?.focus();
      } else if (fieldError(failure.problem, 'new_email')) emailRef.current?.focus();
      else if (fieldError(failure.problem, 'password')) passwordRef.current?.focus();
    },
  });

  /** A field's server message goes as soon as the field is edited. */
  const edit = (field: string, set: (value: string) => void) => (value: string) => {
    set(value);
    setSaved('');
    form.clearFieldError(field);
  };

  function submit() {
    setSaved('');
    form.submit({ new_email: newEmail, password });
  }

  return (
    <SettingsSection
      title="Email"
      description={
        <>
          Your address is <strong>{user.email}</strong>
          {user.email_verified ? ' (verified)' : ' (not verified yet)'}. A new one is used once you open the link sent to it.
        </>
      }
    >
      <SettingsForm name="Change email" action="Change email" busy={form.busy} messages={form.messages} note={form.note} saved={saved} onSubmit={submit}>
        <Field
          label="New email"
          type="email"
          autoComplete="email"
          inputMode="email"
          spellCheck={false}
          value={newEmail}
          onValueChange={edit('new_email', setNewEmail)}
          error={fieldError(form.problem, 'new_email')}
          inputRef={emailRef}
        />
        <Field
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onValueChange={edit('password', setPassword)}
          error={fieldError(form.problem, 'password')}
          inputRef={passwordRef}
          hint={(id) => (
            <p id={id} className="hint">
              Your current password, to show it is you.
            </p>
          )}
        />
      </SettingsForm>
    </SettingsSection>
  );
}
