import type { EmailCheckState } from '../../state/emailCheck';

const TEXT: Record<Exclude<EmailCheckState['kind'], 'invalid' | 'error'>, string> = {
  idle: 'We check that it is free as you type.',
  checking: 'Checking…',
  available: 'Available',
  taken: 'Taken: this email already has an account. Log in instead?',
};

/** The register form's live answer of POST /checkemail, below the email field. */
export function EmailStatus({ id, state }: { id: string; state: EmailCheckState }) {
  const text = state.kind === 'invalid' || state.kind === 'error' ? state.message : TEXT[state.kind];
  const tone = state.kind === 'available' ? ' hint--ok' : state.kind === 'idle' || state.kind === 'checking' ? '' : ' hint--bad';
  return (
    <p id={id} className={`hint email-status${tone}`} aria-live="polite">
      {text}
    </p>
  );
}
