import { useRef, useState } from 'react';
import { fieldError } from '../../api/problem';
import { useChangePassword } from '../../queries/account';
import { changePasswordFailure } from '../../state/authForm';
import { useAuthSubmit } from '../auth/useAuthSubmit';
import { NewPasswordField } from '../auth/NewPasswordField';
import { Field } from '../Field';
import { SettingsForm } from './SettingsForm';
import { SettingsSection } from './SettingsSection';

export const PASSWORD_CHANGED = 'Password changed. Other sessions were logged out.';

interface PasswordSectionProps {
  email: string;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
}

/**
 * "Change password": POST /me/password. The new password follows the rules of
 * registration and must differ from the current one; on success the server
 * gives this browser a new session and ends every other one.
 */
export function PasswordSection({ email, onSessionEnded }: PasswordSectionProps) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [saved, setSaved] = useState('');
  const currentRef = useRef<HTMLInputElement>(null);
  const newRef = useRef<HTMLInputElement>(null);
  const form = useAuthSubmit({
    request: useChangePassword(),
    describeFailure: changePasswordFailure,
    onSuccess: () => {
      setCurrentPassword('');
      setNewPassword('');
      setSaved(PASSWORD_CHANGED);
    },
    onFailure: (failure) => {
      if (failure.sessionEnded) return onSessionEnded();
      if (fieldError(failure.problem, 'current_password')) {
        // Wrong (or invalid): type it again, from the keyboard.
        setCurrentPassword('');
        currentRef.current?.focus();
      } else if (fieldError(failure.problem, 'new_password')) newRef.current?.focus();
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
    form.submit({ current_password: currentPassword, new_password: newPassword });
  }

  return (
    <SettingsSection title="Password" description="Changing it logs out every other device.">
      <SettingsForm
        name="Change password"
        action="Change password"
        busy={form.busy}
        messages={form.messages}
        note={form.note}
        saved={saved}
        onSubmit={submit}
      >
        <Field
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={currentPassword}
          onValueChange={edit('current_password', setCurrentPassword)}
          error={fieldError(form.problem, 'current_password')}
          inputRef={currentRef}
        />
        <NewPasswordField
          label="New password"
          value={newPassword}
          onValueChange={edit('new_password', setNewPassword)}
          error={fieldError(form.problem, 'new_password')}
          inputRef={newRef}
          email={email}
          currentPassword={currentPassword}
        />
      </SettingsForm>
    </SettingsSection>
  );
}
