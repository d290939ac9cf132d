import type { Status } from '../api/client';
import { uniqueLabels } from './uniqueLabels';

// How a status is named to screen readers by the controls that act on it.

const SNIPPET_WORDS = 6;
const SNIPPET_CHARS = 40;

/** The first words of a status, on one line: "Lunch by the river, then back…". */
export function statusSnippet(text: string): string {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '(empty)';
  let snippet = words.slice(0, SNIPPET_WORDS).join(' ');
  let cut = words.length > SNIPPET_WORDS;
  const chars = [...snippet];
  if (chars.length > SNIPPET_CHARS) {
    snippet = chars.slice(0, SNIPPET_CHARS).join('').trimEnd();
    cut = true;
  }
  return cut ? `${snippet}…` : snippet;
}

/**
 * Accessible names of the delete buttons, one per status and unique in the
 * list: "Delete status: Lunch by the river", with the time it was posted added
 * when two statuses start alike, and a number when even that is the same.
 */
export function deleteLabels(statuses: readonly Status[], formatTime: (iso: string) => string): Map<number, string> {
  return uniqueLabels(
    statuses,
    (s) => `Delete status: ${statusSnippet(s.text)}`,
    (s, label) => `${label}, posted ${formatTime(s.created_at)}`,
  );
}
