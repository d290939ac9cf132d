import type { SessionInfo } from '../api/client';

// How a session reads in the "Active sessions" panel.

const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
  [/\bChromium\//, 'Chromium'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/|\bAppleWebKit\/.*\bMobile\//, 'Safari'],
];

const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMacintosh\b|\bMac OS X\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/**
 * A short, readable summary of a User-Agent: "Chrome on Linux", "Safari on
 * iPhone", "curl", "Unknown device". The full string goes in a tooltip.
 */
export function describeUserAgent(userAgent: string): string {
  const ua = userAgent.trim();
  if (!ua) return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser) return system ? `${browser} on ${system}` : browser;
  if (/^Mozilla\//.test(ua)) return system ? `Browser on ${system}` : 'Unknown browser';
  // A tool: its first product token ("curl/8.5.0" -> "curl").
  const product = /^[A-Za-z][\w.-]*/.exec(ua)?.[0];
  return product ? product.slice(0, 40) : 'Unknown device';
}

/** "just now" for the first seconds, else whatever `relative` says ("5 minutes ago"). */
export function agoText(iso: string, now: number, relative: (iso: string, now: number) => string): string {
  const then = Date.parse(iso);
  if (!Number.isNaN(then) && now - then < 10_000) return 'just now';
  return relative(iso, now);
}

export const REVOKE_CURRENT_LABEL = 'Revoke this session (logs you out)';

/**
 * Accessible names of the rows' revoke buttons, unique per row:
 * "Revoke session from Chrome on Linux 203.0.113.9", with the sign-in time
 * (or, failing that, a number) added when two rows would read the same.
 */
export function revokeLabels(items: readonly SessionInfo[], formatTime: (iso: string) => string): Map<string, string> {
  const labels = new Map<string, string>();
  const others = items.filter((s) => !s.current);
  const base = new Map(others.map((s) => [s.id, `Revoke session from ${describeUserAgent(s.user_agent)} ${s.ip}`.trim()]));
  const count = (values: Iterable<string>) => {
    const n = new Map<string, number>();
    for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
    return n;
  };
  const baseCount = count(base.values());
  const withTime = new Map(
    others.map((s) => {
      const label = base.get(s.id)!;
      return [s.id, baseCount.get(label)! > 1 ? `${label}, signed in ${formatTime(s.created_at)}` : label];
    }),
  );
  const timeCount = count(withTime.values());
  const seen = new Map<string, number>();
  for (const s of items) {
    if (s.current) {
      labels.set(s.id, REVOKE_CURRENT_LABEL);
      continue;
    }
    const label = withTime.get(s.id)!;
    if (timeCount.get(label)! > 1) {
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      labels.set(s.id, `${label} (${n})`);
    } else {
      labels.set(s.id, label);
    }
  }
  return labels;
}
