import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { toApiProblem, type User } from '../api/client';
import { LinkPageFrame } from '../components/email/LinkPageFrame';
import { ResendVerification } from '../components/email/ResendVerification';
import { Spinner } from '../components/Spinner';
import { useTitle } from '../lib/hooks';
import { useLinkToken } from '../lib/linkToken';
import { useVerifyEmail } from '../queries/email';
import { LINK_INCOMPLETE, verifiedMessage, verifyFailure } from '../state/emailFlows';

interface VerifyEmailPageProps {
  /** Whoever is logged in in this browser, if anyone: the link works either way. */
  user: User | null;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
}

/**
 * "/verify-email#token=…", the page a verification (or email-change) link
 * opens: uses the token at once (POST /email/verify) and says what came of it.
 */
export function VerifyEmailPage({ user, onSessionEnded }: VerifyEmailPageProps) {
  useTitle('Verify your email · Status');
  const token = useLinkToken();
  return (
    <LinkPageFrame title="Verify your email address">
      {token ? (
        // A new link followed from here starts afresh.
        <Verification key={token} token={token} user={user} onSessionEnded={onSessionEnded} />
      ) : (
        <>
          <p role="alert" className="form-error">
            {LINK_INCOMPLETE}
          </p>
          <NextStep user={user} />
        </>
      )}
    </LinkPageFrame>
  );
}

function Verification({ token, user, onSessionEnded }: VerifyEmailPageProps & { token: string }) {
  const verify = useVerifyEmail();
  // Who was logged in before: the answer may show their new address.
  const [before] = useState(user);

  // Once: StrictMode runs effects twice, and a token works once.
  const sent = useRef(false);
  useEffect(() => {
    if (sent.current) return;
    sent.current = true;
    verify.mutate({ body: { token } });
  }, [token, verify.mutate]);

  if (verify.isSuccess) {
    return (
      <>
        <p role="status" className="form-note">
          {verifiedMessage(before, verify.data)}
        </p>
        <NextStep user={user} />
      </>
    );
  }
  if (verify.isError) {
    return <VerifyFailed error={verify.error} user={user} onSessionEnded={onSessionEnded} onRetry={() => verify.mutate({ body: { token } })} />;
  }
  return (
    <p className="loading" role="status">
      <Spinner /> Verifying your email address…
    </p>
  );
}

interface VerifyFailedProps {
  error: unknown;
  user: User | null;
  onSessionEnded: () => void;
  onRetry: () => void;
}

function VerifyFailed({ error, user, onSessionEnded, onRetry }: VerifyFailedProps) {
  const failure = verifyFailure(toApiProblem(error));
  return (
    <>
      <p role="alert" className="form-error">
        {failure.message}
      </p>
      {failure.kind === 'retry' ? (
        <div className="link-actions">
          <button type="button" className="button button--primary" onClick={onRetry}>
            Try again
          </button>
        </div>
      ) : failure.kind === 'invalid-link' ? (
        user && !user.email_verified ? (
          <ResendVerification email={user.email} label="Send a new link" onSessionEnded={onSessionEnded} />
        ) : (
          <p>{user ? 'To change your email address, ask again in Settings.' : 'Log in to ask for a new link.'}</p>
        )
      ) : null}
      <NextStep user={user} />
    </>
  );
}

/** Where to go from here: the home page (or settings), or the login page. */
function NextStep({ user }: { user: User | null }) {
  return (
    <div className="link-actions">
      {user ? (
        <>
          <Link className="button" to="/home">
            Go to your home page
          </Link>
          <Link className="button button--ghost" to="/settings">
            Settings
          </Link>
        </>
      ) : (
        <Link className="button" to="/">
          Log in
        </Link>
      )}
    </div>
  );
}
