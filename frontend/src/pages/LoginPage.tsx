import type { User } from '../api/client';
import { LoginForm } from '../components/auth/LoginForm';
import { RegisterForm } from '../components/auth/RegisterForm';
import { useTitle } from '../lib/hooks';

interface LoginPageProps {
  onAuthenticated: (user: User) => void;
  /** Why the visitor is here, e.g. that their session has ended. */
  notice?: string | undefined;
}

/** "/": log in, or create an account. */
export function LoginPage({ onAuthenticated, notice }: LoginPageProps) {
  useTitle('Log in · Status');
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
          <h2>Log in</h2>
          <LoginForm onAuthenticated={onAuthenticated} />
        </section>
        <section className="card">
          <h2>Create an account</h2>
          <RegisterForm onAuthenticated={onAuthenticated} />
        </section>
      </div>
    </main>
  );
}
