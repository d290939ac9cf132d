const UNITS: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

const defaultRtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/**
 * "2 minutes ago", "yesterday", "now". Times slightly in the future (clock
 * skew between browser and server) read as "now".
 */
export function formatRelative(iso: string, now: number, rtf: Intl.RelativeTimeFormat = defaultRtf): string {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return '';
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 10) return rtf.format(0, 'second');
  for (const [unit, size] of UNITS) {
    if (seconds >= size || unit === 'second') {
      return rtf.format(-Math.floor(seconds / size), unit);
    }
  }
  return '';
}

export function formatDate(iso: string, options: Intl.DateTimeFormatOptions = { dateStyle: 'long' }): string {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? iso : new Intl.DateTimeFormat(undefined, options).format(then);
}

export function formatDateTime(iso: string): string {
  return formatDate(iso, { dateStyle: 'medium', timeStyle: 'short' });
}
