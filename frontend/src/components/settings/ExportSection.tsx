import { SettingsSection } from './SettingsSection';

/**
 * Your data as one JSON file. A plain link: the browser streams the
 * download itself with the session cookie, so nothing is held in memory
 * here however large the history is.
 */
export function ExportSection() {
  return (
    <SettingsSection
      title="Your data"
      description="Your account, sessions, statuses and security activity, as one JSON file."
    >
      <a className="button" href="/me/export" download="status-api-export.json">
        Download your data
      </a>
    </SettingsSection>
  );
}
