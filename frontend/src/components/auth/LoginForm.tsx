import { useRef, useState, type Ref } from 'react';
import { $api, type User } from '../../api/client';
import { fieldError } from '../../api/problem';
import { loginFailure } from '../../state/authForm';
import { Field } from '../Field';
import { AuthForm } from './AuthForm';
import { useAuthSubmit } from './useAuthSubmit';

interface LoginFormProps {
  onAuthenticated: (user: User) => void;
  /** "Forgot your password?", with what the email field holds. */
  onForgotPassword: (email: string) => void;
  forgotButtonRef?: Ref<HTMLButtonElement>;
}

export function LoginForm({ onAuthenticated, onForgotPassword, forgotButtonRef }: LoginFormProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const passwordRef = useRef<HTMLInputElement>(null);
  const form = useAuthSubmit({
    request: $api.useMutation('post', '/login'),
    describeFailure: loginFailure,
    onSuccess: onAuthenticated,
    onFailure: ({ invalidCredentials }) => {
      // Wrong credentials: type the password again, from the keyboard.
      if (!invalidCredentials) return;
      setPassword('');
      passwordRef.current?.focus();
    },
  });

  return (
    <AuthForm name="Log in" action="Log in" busy={form.busy} messages={form.messages} note={form.note} onSubmit={() => form.submit({ email, password })}>
      <Field
        label="Email"
        type="email"
        autoComplete="username"
        inputMode="email"
        spellCheck={false}
        value={email}
        onValueChange={setEmail}
        error={fieldError(form.problem, 'email')}
      />
      <Field
        label="Password"
        type="password"
        autoComplete="current-password"
        value={password}
        onValueChange={setPassword}
        error={fieldError(form.problem, 'password')}
        inputRef={passwordRef}
      />
      {/* The words the password notices' mails point to. */}
      <button ref={forgotButtonRef} type="button" className="text-button" onClick={() => onForgotPassword(email)}>
        Forgot your password?
      </button>
    </AuthForm>
  );
}
