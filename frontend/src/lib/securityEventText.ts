import type { SecurityEventKind } from '../api/client';

// How a security event reads in the "Security activity" panel.

/**
 * Every kind the contract names. A Record, so that a kind added to the spec
 * fails `tsc` until it has its words here.
 */
const EVENT_LABELS: Record<SecurityEventKind, string> = {
  registered: 'Account created',
  login: 'Logged in',
  'login-failed': 'Failed login (wrong password)',
  'locked-out': 'Logins paused after too many failures',
  logout: 'Logged out',
  'session-revoked': 'Session revoked',
  'password-changed': 'Password changed',
  'password-reset': 'Password reset',
  'email-verified': 'Email address verified',
  'email-changed': 'Email address changed',
  'verification-sent': 'Verification email sent',
  'reset-requested': 'Password reset requested',
};

/** Kinds worth a second look: someone may be trying the password. */
const WARNING_KINDS: ReadonlySet<string> = new Set<SecurityEventKind>(['login-failed', 'locked-out']);

/**
 * "Logged in" for "login". A kind this build does not know yet (a newer
 * server) still reads as words: "some-new-kind" -> "Some new kind".
 */
export function eventLabel(kind: string): string {
  if (Object.hasOwn(EVENT_LABELS, kind)) return EVENT_LABELS[kind as SecurityEventKind];
  const words = kind.replace(/[-_]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Unknown event';
}

export function isWarningEvent(kind: string): boolean {
  return WARNING_KINDS.has(kind);
}
