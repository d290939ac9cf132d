import { useEffect, useRef, useState } from 'react';
import type { User } from '../api/client';
import { LoginForm } from '../components/auth/LoginForm';
import { RegisterForm } from '../components/auth/RegisterForm';
import { ForgotPasswordForm } from '../components/email/ForgotPasswordForm';
import { useTitle } from '../lib/hooks';

interface LoginPageProps {
  onAuthenticated: (user: User) => void;
  /** Why the visitor is here, e.g. that their session has ended. */
  notice?: string | undefined;
}

/** "/": log in (or ask for a password reset), or create an account. */
export function LoginPage({ onAuthenticated, notice }: LoginPageProps) {
  useTitle('Log in · Status');
  /** "Forgot your password?" was pressed, with the email the login form had; null: logging in. */
  const [forgot, setForgot] = useState<string | null>(null);
  const forgotButtonRef = useRef<HTMLButtonElement>(null);
  // Back from the forgot-password form: the focus returns to the button that opened it.
  const wasForgot = useRef(false);
  useEffect(() => {
    if (forgot === null && wasForgot.current) forgotButtonRef.current?.focus();
    wasForgot.current = forgot !== null;
  }, [forgot]);

  return (
    <main id="main" className="auth">
      <header className="auth-intro">
        <h1 tabIndex={-1} data-autofocus>
          <span className="logo" aria-hidden="true" />
          Status
        </h1>
        <p>Say what you&rsquo;re up to. Keep a record of it.</p>
      </header>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      <div className="auth-grid">
        <section className="card">
          {/* Hidden, not unmounted, while resetting: what was typed is still there when back. */}
          <div hidden={forgot !== null}>
            <h2>Log in</h2>
            <LoginForm onAuthenticated={onAuthenticated} onForgotPassword={setForgot} forgotButtonRef={forgotButtonRef} />
          </div>
          {forgot !== null ? (
            <div className="forgot">
              <h2>Reset your password</h2>
              <ForgotPasswordForm initialEmail={forgot} autoFocus />
              <button type="button" className="text-button" onClick={() => setForgot(null)}>
                Back to log in
              </button>
            </div>
          ) : null}
        </section>
        <section className="card">
          <h2>Create an account</h2>
          <RegisterForm onAuthenticated={onAuthenticated} />
        </section>
      </div>
    </main>
  );
}
