import { useRef, useState } from 'react';
import { Link } from 'react-router';
import type { User } from '../api/client';
import { fieldError } from '../api/problem';
import { AuthForm } from '../components/auth/AuthForm';
import { NewPasswordField } from '../components/auth/NewPasswordField';
import { useAuthSubmit } from '../components/auth/useAuthSubmit';
import { ForgotPasswordForm } from '../components/email/ForgotPasswordForm';
import { LinkPageFrame } from '../components/email/LinkPageFrame';
import { useTitle } from '../lib/hooks';
import { useLinkToken } from '../lib/linkToken';
import { useResetPassword } from '../queries/email';
import { LINK_INCOMPLETE, RESET_LINK_INVALID, resetPasswordFailure } from '../state/emailFlows';

interface ResetPasswordPageProps {
  /** POST /password/reset answered 200: the user is logged in with a new session. */
  onReset: (user: User) => void;
}

/**
 * "/reset-password#token=…", the page a reset link opens: a new password
 * (POST /password/reset), after which the user is logged in. A link that no
 * longer works turns the page into asking for a new one.
 */
export function ResetPasswordPage({ onReset }: ResetPasswordPageProps) {
  useTitle('Reset your password · Status');
  const token = useLinkToken();
  // A new link followed from here starts afresh.
  return token ? <ChooseNewPassword key={token} token={token} onReset={onReset} /> : <AskForNewLink problem={LINK_INCOMPLETE} />;
}

function ChooseNewPassword({ token, onReset }: ResetPasswordPageProps & { token: string }) {
  const [password, setPassword] = useState('');
  const [invalidLink, setInvalidLink] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const form = useAuthSubmit({
    request: useResetPassword(),
    describeFailure: resetPasswordFailure,
    onSuccess: onReset,
    onFailure: (failure) => {
      if (failure.invalidLink) setInvalidLink(true);
      else if (fieldError(failure.problem, 'new_password')) passwordRef.current?.focus();
    },
  });

  // After a failed reset, the way on takes the focus.
  if (invalidLink) return <AskForNewLink problem={RESET_LINK_INVALID} autoFocus />;
  return (
    <LinkPageFrame title="Choose a new password">
      <p>It replaces the old one, and logs out every other device.</p>
      <AuthForm
        name="Reset password"
        action="Save password and log in"
        busy={form.busy}
        messages={form.messages}
        note={form.note}
        onSubmit={() => form.submit({ token, new_password: password })}
      >
        <NewPasswordField
          label="New password"
          value={password}
          onValueChange={(value) => {
            setPassword(value);
            form.clearFieldError('new_password');
          }}
          error={fieldError(form.problem, 'new_password')}
          email={null}
          inputRef={passwordRef}
        />
      </AuthForm>
    </LinkPageFrame>
  );
}

/** No token, or one that no longer works: why, and the form that mails a new link. */
function AskForNewLink({ problem, autoFocus = false }: { problem: string; autoFocus?: boolean }) {
  return (
    <LinkPageFrame title="Reset your password">
      <p role="alert" className="form-error">
        {problem}
      </p>
      <h2>Ask for a new link</h2>
      <ForgotPasswordForm autoFocus={autoFocus} />
      <div className="link-actions">
        <Link className="button button--ghost" to="/">
          Back to log in
        </Link>
      </div>
    </LinkPageFrame>
  );
}
