import type { SessionInfo } from '../api/client';
import { uniqueLabels } from './uniqueLabels';

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
  const others = uniqueLabels(
    items.filter((s) => !s.current),
    (s) => `Revoke session from ${describeUserAgent(s.user_agent)} ${s.ip}`.trim(),
    (s, label) => `${label}, signed in ${formatTime(s.created_at)}`,
  );
  return new Map(items.map((s) => [s.id, s.current ? REVOKE_CURRENT_LABEL : others.get(s.id)!]));
}
