import { useState } from 'react';
import { $api, type User } from '../../api/client';
import { fieldError } from '../../api/problem';
import { useEmailCheck } from '../../lib/hooks';
import { NAME_MAX, codePointLength } from '../../lib/text';
import { registerFailure } from '../../state/authForm';
import { Field } from '../Field';
import { AuthForm } from './AuthForm';
import { EmailStatus } from './EmailStatus';
import { NewPasswordField } from './NewPasswordField';
import { useAuthSubmit } from './useAuthSubmit';

export function RegisterForm({ onAuthenticated }: { onAuthenticated: (user: User) => void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [emailState, setEmailState] = useEmailCheck(email);
  const form = useAuthSubmit({
    request: $api.useMutation('post', '/register'),
    describeFailure: registerFailure,
    onSuccess: onAuthenticated,
    onFailure: ({ emailTaken }) => {
      if (emailTaken) setEmailState({ kind: 'taken', email: email.trim().toLowerCase() });
    },
  });
  const nameLength = codePointLength(name);

  /** A field's server message goes as soon as the field is edited. */
  const edit = (field: string, set: (value: string) => void) => (value: string) => {
    set(value);
    form.clearFieldError(field);
  };

  return (
    <AuthForm name="Register" action="Register" busy={form.busy} messages={form.messages} note={form.note} onSubmit={() => form.submit({ email, password, name })}>
      <Field
        label="Email"
        type="email"
        autoComplete="email"
        inputMode="email"
        spellCheck={false}
        value={email}
        onValueChange={edit('email', setEmail)}
        error={fieldError(form.problem, 'email')}
        hint={(id) => <EmailStatus id={id} state={emailState} />}
      />
      <Field
        label="Name"
        type="text"
        autoComplete="name"
        value={name}
        onValueChange={edit('name', setName)}
        error={fieldError(form.problem, 'name')}
        hint={(id) => (
          <p id={id} className={`hint${nameLength > NAME_MAX ? ' hint--bad' : ''}`}>
            1 to {NAME_MAX} characters{name ? ` (${nameLength} now)` : ''}.
          </p>
        )}
      />
      <NewPasswordField
        label="Password"
        value={password}
        onValueChange={edit('password', setPassword)}
        error={fieldError(form.problem, 'password')}
        email={email}
      />
    </AuthForm>
  );
}
