import type { Status } from '../api/client';

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

function counts(values: Iterable<string>): Map<string, number> {
  const n = new Map<string, number>();
  for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
  return n;
}

/**
 * Accessible names of the delete buttons, one per status and unique in the
 * list: "Delete status: Lunch by the river", with the time it was posted added
 * when two statuses start alike, and a number when even that is the same.
 */
export function deleteLabels(statuses: readonly Status[], formatTime: (iso: string) => string): Map<number, string> {
  const base = new Map(statuses.map((s) => [s.id, `Delete status: ${statusSnippet(s.text)}`]));
  const baseCount = counts(base.values());
  const timed = new Map(
    statuses.map((s) => {
      const label = base.get(s.id)!;
      return [s.id, baseCount.get(label)! > 1 ? `${label}, posted ${formatTime(s.created_at)}` : label];
    }),
  );
  const timedCount = counts(timed.values());
  const seen = new Map<string, number>();
  const labels = new Map<number, string>();
  for (const s of statuses) {
    const label = timed.get(s.id)!;
    if (timedCount.get(label)! > 1) {
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      labels.set(s.id, `${label} (${n})`);
    } else {
      labels.set(s.id, label);
    }
  }
  return labels;
}
