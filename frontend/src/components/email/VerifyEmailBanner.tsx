import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import type { User } from '../../api/client';
import { meQuery } from '../../queries/session';
import { ResendVerification } from './ResendVerification';

interface VerifyEmailBannerProps {
  user: User;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
}

/**
 * Above the signed-in pages while the account's email is not verified
 * (user.email_verified false): where the link went, and "Send again".
 */
export function VerifyEmailBanner({ user, onSessionEnded }: VerifyEmailBannerProps) {
  if (user.email_verified) return null;
  return <Unverified user={user} onSessionEnded={onSessionEnded} />;
}

function Unverified({ user, onSessionEnded }: VerifyEmailBannerProps) {
  const textId = useId();
  // The link is usually opened in another tab: back in this one, ask GET /me
  // again, so that the banner goes once the address is verified.
  useQuery({ ...meQuery, refetchOnWindowFocus: 'always' });
  return (
    <section className="banner" aria-label="Email not verified">
      <div className="banner-inner">
        <p id={textId}>
          <strong>Verify your email address.</strong> We sent a link to {user.email}: open it to confirm that the address is yours.
        </p>
        <ResendVerification email={user.email} label="Send again" describedBy={textId} onSessionEnded={onSessionEnded} />
      </div>
    </section>
  );
}
