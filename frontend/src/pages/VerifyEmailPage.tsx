import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { toApiProblem, type User } from '../api/client';
import { LinkPageFrame } from '../components/email/LinkPageFrame';
import { Spinner } from '../components/Spinner';
import { useTitle } from '../lib/hooks';
import { useLinkToken } from '../lib/linkToken';
import { useVerifyEmail } from '../queries/email';
import { verifiedMessage, verifyFailure } from '../state/emailFlows';

interface VerifyEmailPageProps {
  /** Whoever is logged in in this browser, if anyone: the link works either way. */
  user: User | null;
}

export const VERIFY_LINK_INCOMPLETE =
  'This link is incomplete. Open it again from the email, or copy the whole address from the email into the address bar.';

/**
 * "/verify-email#token=…", the page a verification (or email-change) link
 * opens: uses the token at once (POST /email/verify) and says what came of it.
 */
export function VerifyEmailPage({ user }: VerifyEmailPageProps) {
  useTitle('Verify your email · Status');
  const token = useLinkToken();
  const verify = useVerifyEmail();
  // Who was logged in before: the answer may show their new address.
  const [before] = useState(user);

  // Once per page load: StrictMode runs effects twice, and a token works once.
  const sent = useRef(false);
  useEffect(() => {
    if (!token || sent.current) return;
    sent.current = true;
    verify.mutate({ body: { token } });
  }, [token, verify.mutate]);

  return (
    <LinkPageFrame title="Verify your email address">
      {!token ? (
        <>
          <p role="alert" className="form-error">
            {VERIFY_LINK_INCOMPLETE}
          </p>
          <NextStep user={user} />
        </>
      ) : verify.isSuccess ? (
        <>
          <p role="status" className="form-note">
            {verifiedMessage(before, verify.data)}
          </p>
          <NextStep user={user} />
        </>
      ) : verify.isError ? (
        <VerifyFailed error={verify.error} user={user} onRetry={() => verify.mutate({ body: { token } })} />
      ) : (
        <p className="loading" role="status">
          <Spinner /> Verifying your email address…
        </p>
      )}
    </LinkPageFrame>
  );
}

function VerifyFailed({ error, user, onRetry }: { error: unknown; user: User | null; onRetry: () => void }) {
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
        <p>
          {user
            ? user.email_verified
              ? 'To change your email address, ask again in Settings.'
              : 'You can ask for a new link on your home page.'
            : 'Log in to ask for a new link.'}
        </p>
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
