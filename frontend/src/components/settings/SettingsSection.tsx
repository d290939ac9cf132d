import { useId, type ReactNode } from 'react';

interface SettingsSectionProps {
  title: string;
  description: ReactNode;
  /** "danger" for the irreversible ones (deleting the account). */
  tone?: 'danger';
  children: ReactNode;
}

/** One card of the settings page: a region named by its heading. */
export function SettingsSection({ title, description, tone, children }: SettingsSectionProps) {
  const headingId = useId();
  return (
    <section className={`card settings-section${tone ? ` settings-section--${tone}` : ''}`} aria-labelledby={headingId}>
      <div className="settings-section-head">
        <h2 id={headingId}>{title}</h2>
        <p className="hint">{description}</p>
      </div>
      {children}
    </section>
  );
}
