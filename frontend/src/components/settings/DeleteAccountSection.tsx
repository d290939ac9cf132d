import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { fieldError } from '../../api/problem';
import { useDeleteAccount } from '../../queries/account';
import { deleteAccountFailure } from '../../state/authForm';
import { useAuthSubmit } from '../auth/useAuthSubmit';
import { Field } from '../Field';
import { SettingsForm } from './SettingsForm';
import { SettingsSection } from './SettingsSection';

interface DeleteAccountSectionProps {
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
  /** DELETE /me answered 204. */
  onAccountDeleted: () => void;
}

/**
 * "Delete account": DELETE /me. A first button only reveals the confirmation,
 * which asks for the password; Cancel (or Escape) puts it away again.
 */
export function DeleteAccountSection({ onSessionEnded, onAccountDeleted }: DeleteAccountSectionProps) {
  const [confirming, setConfirming] = useState(false);
  const [password, setPassword] = useState('');
  const passwordRef = useRef<HTMLInputElement>(null);
  const revealRef = useRef<HTMLButtonElement>(null);
  const form = useAuthSubmit({
    request: useDeleteAccount(),
    describeFailure: deleteAccountFailure,
    onSuccess: onAccountDeleted,
    onFailure: (failure) => {
      if (failure.sessionEnded) return onSessionEnded();
      if (fieldError(failure.problem, 'password')) {
        setPassword('');
        passwordRef.current?.focus();
      }
    },
  });

  // The focus follows what is shown: the password field when the
  // confirmation opens, the first button again when it is put away.
  const opened = useRef(false);
  useEffect(() => {
    if (confirming) passwordRef.current?.focus();
    else if (opened.current) revealRef.current?.focus();
    opened.current ||= confirming;
  }, [confirming]);

  function cancel() {
    if (form.busy) return;
    setConfirming(false);
    setPassword('');
    form.reset();
  }

  function onKeyDown(event: KeyboardEvent) {
    if (event.key === 'Escape') cancel();
  }

  return (
    <SettingsSection
      title="Delete account"
      tone="danger"
      description="Deletes your account, your statuses and your activity, and logs out every device. This cannot be undone."
    >
      {confirming ? null : (
        <div className="settings-actions">
          <button
            ref={revealRef}
            type="button"
            className="button button--danger"
            onClick={() => setConfirming(true)}
          >
            Delete account…
          </button>
        </div>
      )}
      {confirming ? (
        <SettingsForm
          name="Delete account"
          action="Delete my account"
          tone="danger"
          busy={form.busy}
          messages={form.messages}
          note={form.note}
          actions={
            <button type="button" className="button button--ghost" onClick={cancel}>
              Cancel
            </button>
          }
          onSubmit={() => form.submit({ password })}
          onKeyDown={onKeyDown}
        >
          <p>To delete your account for good, type your password.</p>
          <Field
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onValueChange={(value) => {
              setPassword(value);
              form.clearFieldError('password');
            }}
            error={fieldError(form.problem, 'password')}
            inputRef={passwordRef}
          />
        </SettingsForm>
      ) : null}
    </SettingsSection>
  );
}
