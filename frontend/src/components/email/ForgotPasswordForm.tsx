import { useEffect, useRef, useState } from 'react';
import { fieldError } from '../../api/problem';
import { useForgotPassword } from '../../queries/email';
import { forgotPasswordFailure, resetLinkSent } from '../../state/emailFlows';
import { AuthForm } from '../auth/AuthForm';
import { useAuthSubmit } from '../auth/useAuthSubmit';
import { Field } from '../Field';

interface ForgotPasswordFormProps {
  /** What the login form had in its email field. */
  initialEmail?: string;
  /** Take the focus when shown (it was asked for by a click). */
  autoFocus?: boolean;
}

/**
 * "Forgot password": POST /password/forgot, which answers 202 whatever the
 * address, so the form says the same whatever the address too.
 */
export function ForgotPasswordForm({ initialEmail = '', autoFocus = false }: ForgotPasswordFormProps) {
  const [email, setEmail] = useState(initialEmail);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const sentRef = useRef<HTMLParagraphElement>(null);
  const form = useAuthSubmit({
    request: useForgotPassword(),
    describeFailure: forgotPasswordFailure,
    onSuccess: () => setSentTo(email),
  });

  // The button that was pressed is gone: the focus goes to what it did.
  useEffect(() => {
    if (sentTo !== null) sentRef.current?.focus();
  }, [sentTo]);

  if (sentTo !== null) {
    return (
      <div className="forgot-sent">
        <p ref={sentRef} tabIndex={-1} role="status" className="form-note">
          {resetLinkSent(sentTo)}
        </p>
        <button type="button" className="text-button" onClick={() => setSentTo(null)}>
          Use another address
        </button>
      </div>
    );
  }
  return (
    <AuthForm
      name="Forgot password"
      action="Send reset link"
      busy={form.busy}
      messages={form.messages}
      note={form.note}
      onSubmit={() => form.submit({ email })}
    >
      <Field
        label="Email"
        type="email"
        autoComplete="username"
        inputMode="email"
        spellCheck={false}
        autoFocus={autoFocus}
        value={email}
        onValueChange={(value) => {
          setEmail(value);
          form.clearFieldError('email');
        }}
        error={fieldError(form.problem, 'email')}
        hint={(id) => (
          <p id={id} className="hint">
            The email of your account: a link to choose a new password goes there.
          </p>
        )}
      />
    </AuthForm>
  );
}
