import type { User } from '../api/client';
import { DeleteAccountSection } from '../components/settings/DeleteAccountSection';
import { EmailSection } from '../components/settings/EmailSection';
import { ExportSection } from '../components/settings/ExportSection';
import { NameSection } from '../components/settings/NameSection';
import { PasswordSection } from '../components/settings/PasswordSection';
import { TopBar } from '../components/TopBar';
import { VerifyEmailBanner } from '../components/email/VerifyEmailBanner';
import { useTitle } from '../lib/hooks';

interface SettingsProps {
  user: User;
  /** A request answered 401: the session is gone. */
  onSessionEnded: () => void;
  onLoggedOut: () => void;
  /** DELETE /me answered 204. */
  onAccountDeleted: () => void;
}

/**
 * Your account, one SettingsSection per thing you can change. Each section
 * owns its form, its request and its messages, so a new one is one more
 * component in the list below.
 */
export function SettingsPage({ user, onSessionEnded, onLoggedOut, onAccountDeleted }: SettingsProps) {
  useTitle(`Settings · Status`);
  return (
    <div className="app">
      <TopBar user={user} onLoggedOut={onLoggedOut} />
      <VerifyEmailBanner user={user} onSessionEnded={onSessionEnded} />
      <main id="main" className="settings">
        <h1 tabIndex={-1} data-autofocus>
          Settings
        </h1>
        <NameSection user={user} onSessionEnded={onSessionEnded} />
        <EmailSection user={user} onSessionEnded={onSessionEnded} />
        <PasswordSection email={user.email} onSessionEnded={onSessionEnded} />
        <ExportSection />
        <DeleteAccountSection onSessionEnded={onSessionEnded} onAccountDeleted={onAccountDeleted} />
      </main>
    </div>
  );
}
