import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { api, type User } from '../api/client';
import { fieldError, type ApiProblem } from '../api/problem';
import { Field } from '../components/Field';
import { Spinner } from '../components/Spinner';
import { useEmailCheck, useTitle, useWhenReached } from '../lib/hooks';
import { NAME_MAX, PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, codePointLength, utf8Length } from '../lib/text';
import { WAIT_OVER, loginFailure, registerFailure } from '../state/authForm';

interface AuthProps {
  onAuthenticated: (user: User) => void;
}

export function LoginPage({ onAuthenticated, notice }: AuthProps & { notice?: string | undefined }) {
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

function FormError({ messages, note }: { messages: string[]; note?: string | null }) {
  return (
    <>
      {messages.length ? (
        <div className="form-error" role="alert">
          {messages.map((m) => (
            <p key={m}>{m}</p>
          ))}
        </div>
      ) : null}
      {note ? (
        <p className="form-note" role="status">
          {note}
        </p>
      ) : null}
    </>
  );
}

/**
 * Form-level messages, of which a "Try again in 42 seconds" one (429, or 503
 * with Retry-After) turns into "You can try again now." once the wait is over.
 */
function useFormMessages() {
  const [messages, setMessages] = useState<string[]>([]);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useWhenReached(retryAt, () => {
    setMessages([]);
    setRetryAt(null);
    setNote(WAIT_OVER);
  });
  return {
    messages,
    note,
    clear() {
      setMessages([]);
      setRetryAt(null);
      setNote(null);
    },
    show(next: string[], until: number | null) {
      setMessages(next);
      setRetryAt(until);
      setNote(null);
    },
  };
}

function LoginForm({ onAuthenticated }: AuthProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const form = useFormMessages();
  const passwordRef = useRef<HTMLInputElement>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    form.clear();
    setProblem(null);
    const result = await api.login({ email, password });
    if (result.ok) {
      onAuthenticated(result.data);
      return;
    }
    setBusy(false);
    const failure = loginFailure(result.problem);
    setProblem(failure.problem);
    form.show(failure.messages, failure.retryAt);
    if (failure.invalidCredentials) {
      setPassword('');
      passwordRef.current?.focus();
    }
  }

  return (
    <form aria-label="Log in" onSubmit={submit} noValidate>
      <Field
        label="Email"
        type="email"
        autoComplete="username"
        inputMode="email"
        spellCheck={false}
        value={email}
        onValueChange={setEmail}
        error={fieldError(problem, 'email')}
      />
      <Field
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onValueChange={setPassword}
        error={fieldError(problem, 'password')}
        inputRef={passwordRef}
      />
      <FormError messages={form.messages} note={form.note} />
      <button type="submit" className="button button--primary" aria-disabled={busy}>
        {busy ? <Spinner /> : null}
        Log in
      </button>
    </form>
  );
}

function Rule({ met, children }: { met: boolean | null; children: string }) {
  const state = met === null ? '' : met ? ' rule--met' : ' rule--unmet';
  return (
    <li className={`rule${state}`}>
      {children}
      {met === true ? <span className="sr-only"> (done)</span> : null}
    </li>
  );
}

function EmailStatus({ id, state }: { id: string; state: ReturnType<typeof useEmailCheck>[0] }) {
  let content: ReactNode = 'We check that it is free as you type.';
  let tone = '';
  switch (state.kind) {
    case 'checking':
      content = 'Checking…';
      break;
    case 'available':
      content = 'Available';
      tone = ' hint--ok';
      break;
    case 'taken':
      content = 'Taken: this email already has an account. Log in instead?';
      tone = ' hint--bad';
      break;
    case 'invalid':
    case 'error':
      content = state.message;
      tone = ' hint--bad';
      break;
  }
  return (
    <p id={id} className={`hint email-status${tone}`} aria-live="polite">
      {content}
    </p>
  );
}

function RegisterForm({ onAuthenticated }: AuthProps) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const form = useFormMessages();
  const [emailState, setEmailState] = useEmailCheck(email);

  const bytes = utf8Length(password);
  const nameLength = codePointLength(name);

  function clearFieldError(field: string) {
    if (problem?.errors[field]) {
      const { [field]: _removed, ...rest } = problem.errors;
      setProblem({ ...problem, errors: rest });
    }
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    form.clear();
    setProblem(null);
    const result = await api.register({ email, password, name });
    if (result.ok) {
      onAuthenticated(result.data);
      return;
    }
    setBusy(false);
    const failure = registerFailure(result.problem);
    setProblem(failure.problem);
    form.show(failure.messages, failure.retryAt);
    if (failure.emailTaken) setEmailState({ kind: 'taken', email: email.trim().toLowerCase() });
  }

  return (
    <form aria-label="Register" onSubmit={submit} noValidate>
      <Field
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        spellCheck={false}
        value={email}
        onValueChange={(v) => {
          setEmail(v);
          clearFieldError('email');
        }}
        error={fieldError(problem, 'email')}
        hint={(id) => <EmailStatus id={id} state={emailState} />}
      />
      <Field
        label="Name"
        type="text"
        autoComplete="name"
        value={name}
        onValueChange={(v) => {
          setName(v);
          clearFieldError('name');
        }}
        error={fieldError(problem, 'name')}
        hint={(id) => (
          <p id={id} className={`hint${nameLength > NAME_MAX ? ' hint--bad' : ''}`}>
            1 to {NAME_MAX} characters{name ? ` (${nameLength} now)` : ''}.
          </p>
        )}
      />
      <Field
        label="Password"
        type="password"
        autoComplete="new-password"
        value={password}
        onValueChange={(v) => {
          setPassword(v);
          clearFieldError('password');
        }}
        error={fieldError(problem, 'password')}
        hint={(id) => (
          <ul id={id} className="rules">
            <Rule met={password ? bytes >= PASSWORD_MIN_BYTES && bytes <= PASSWORD_MAX_BYTES : null}>
              {`${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes`}
            </Rule>
            <Rule met={null}>Not a common password</Rule>
            <Rule met={password ? password.toLowerCase() !== email.trim().toLowerCase() : null}>
              Not your email
            </Rule>
          </ul>
        )}
      />
      <FormError messages={form.messages} note={form.note} />
      <button type="submit" className="button button--primary" aria-disabled={busy}>
        {busy ? <Spinner /> : null}
        Register
      </button>
    </form>
  );
}
