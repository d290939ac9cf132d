import type { Ref } from 'react';
import { Field } from '../Field';
import { PasswordRules } from './PasswordRules';

interface NewPasswordFieldProps {
  label: string;
  value: string;
  onValueChange: (value: string) => void;
  /** The server's message for this field. */
  error: string | undefined;
  /** The account's email, which the password must not be; null where the page does not know it (a reset link). */
  email: string | null;
  /** When changing the password: the current one, which the new one must differ from. */
  currentPassword?: string;
  inputRef?: Ref<HTMLInputElement>;
}

/**
 * A password being chosen (register, change password, reset): marked as a new one
 * for password managers, with its rules below, checked as it is typed.
 */
export function NewPasswordField({ email, currentPassword, ...field }: NewPasswordFieldProps) {
  return (
    <Field
      {...field}
      type="password"
      autoComplete="new-password"
      hint={(id) => <PasswordRules id={id} password={field.value} email={email} currentPassword={currentPassword} />}
    />
  );
}
