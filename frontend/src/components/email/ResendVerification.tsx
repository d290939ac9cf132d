import { useState } from 'react';
import { toApiProblem } from '../../api/client';
import { useWhenReached } from '../../lib/hooks';
import { useResendVerification } from '../../queries/email';
import { WAIT_OVER } from '../../state/authForm';
import { resendFailure, verificationSent } from '../../state/emailFlows';
import { Spinner } from '../Spinner';

interface ResendVerificationProps {
  /** The account's address, where the link goes. */
  email: string;
  /** The button's label (its accessible name). */
  label: string;
  /** The text the button is about, for screen readers (aria-describedby). */
  describedBy?: string;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
}

/**
 * Another verification link (POST /email/verify/resend), and what came of
 * it: sent, or a 429's wait ("You can try again now." once it is over).
 */
export function ResendVerification({ email, label, describedBy, onSessionEnded }: ResendVerificationProps) {
  const resend = useResendVerification();
  const [result, setResult] = useState<{ text: string; failed: boolean } | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);

  useWhenReached(retryAt, () => {
    setRetryAt(null);
    setResult({ text: WAIT_OVER, failed: false });
  });

  function send() {
    if (resend.isPending) return;
    setResult(null);
    setRetryAt(null);
    resend.mutate(
      {},
      {
        onSuccess: () => setResult({ text: verificationSent(email), failed: false }),
        onError: (error) => {
          const failure = resendFailure(toApiProblem(error));
          if (failure.kind === 'session-ended') return onSessionEnded();
          setResult({ text: failure.message, failed: true });
          setRetryAt(failure.retryAt);
        },
      },
    );
  }

  return (
    <div className="resend">
      <button type="button" className="button button--small" aria-disabled={resend.isPending} aria-describedby={describedBy} onClick={send}>
        {resend.isPending ? <Spinner /> : null}
        {label}
      </button>
      {/* Always there, so that what is put in it is announced. */}
      <p role="status" className={`hint${result ? (result.failed ? ' hint--bad' : ' hint--ok') : ''}`}>
        {result?.text}
      </p>
    </div>
  );
}
