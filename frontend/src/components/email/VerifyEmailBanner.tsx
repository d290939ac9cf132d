import { useQuery } from '@tanstack/react-query';
import type { User } from '../../api/client';
import { meQuery } from '../../queries/session';

/**
 * Above the signed-in pages while the account's email is not verified
 * (user.email_verified false): where the link went.
 */
export function VerifyEmailBanner({ user }: { user: User }) {
  if (user.email_verified) return null;
  return <Unverified user={user} />;
}

function Unverified({ user }: { user: User }) {
  // The link is usually opened in another tab: back in this one, ask GET /me
  // again, so that the banner goes once the address is verified.
  useQuery({ ...meQuery, refetchOnWindowFocus: 'always' });
  return (
    <section className="banner" aria-label="Email not verified">
      <div className="banner-inner">
        <p>
          <strong>Verify your email address.</strong> We sent a link to {user.email}: open it to confirm that the address is yours.
        </p>
      </div>
    </section>
  );
}
