import type { ReactNode } from 'react';
import { Spinner } from './Spinner';

interface SubmitButtonProps {
  /** Its request is on its way: a spinner, and a click sends nothing more. */
  busy: boolean;
  /** Nothing to send yet (e.g. an empty status). */
  disabled?: boolean;
  tone?: 'primary' | 'danger';
  /** The label, which is the button's accessible name. */
  children: ReactNode;
}

/**
 * A form's submit button. It is aria-disabled rather than disabled, so it
 * keeps the focus and screen readers still find it; the form's own submit
 * handler ignores a click meanwhile.
 */
export function SubmitButton({ busy, disabled = false, tone = 'primary', children }: SubmitButtonProps) {
  return (
    <button type="submit" className={`button button--${tone}`} aria-disabled={busy || disabled}>
      {busy ? <Spinner /> : null}
      {children}
    </button>
  );
}
