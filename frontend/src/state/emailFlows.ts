import type { User } from '../api/client';
import { formatSeconds, otherFieldErrors, problemMessage, problemSlug, type ApiProblem } from '../api/problem';
import { genericFailure, type FormFailure } from './authForm';

// What the email flows say: the verification link's page, the password
// reset (asking for a link, then choosing the password) and the banner's
// "Send again". Kept out of the components so that every branch is
// unit-tested.

/** A page a mailed link opens, without the link's token. */
export const LINK_INCOMPLETE =
  'This link is incomplete. Open it again from the email, or copy the whole address from the email into the address bar.';

/** POST /password/forgot answered 202: the same words whether or not the address has an account. */
export function resetLinkSent(email: string): string {
  return `If ${email.trim()} has an account, a link to choose a new password is on its way to it. It works once, and only for a short time.`;
}

/** POST /password/forgot: a 422 on the email field, anything else above the button. */
export function forgotPasswordFailure(problem: ApiProblem, now = Date.now()): FormFailure {
  if (problem.status === 422) return { messages: otherFieldErrors(problem, ['email']), problem, retryAt: null };
  return genericFailure(problem, now);
}

export const RESET_LINK_INVALID = 'This link can no longer be used: it was already used, a newer one was sent, or it has expired.';

/** POST /password/reset. A dead link (400) or a malformed token turns the page into "ask for a new link". */
export function resetPasswordFailure(problem: ApiProblem, now = Date.now()): FormFailure & { invalidLink: boolean } {
  if (problem.status === 400 || (problem.status === 422 && problem.errors.token)) {
    return { messages: [], problem: null, retryAt: null, invalidLink: true };
  }
  if (problem.status === 422) {
    return { messages: otherFieldErrors(problem, ['new_password']), problem, retryAt: null, invalidLink: false };
  }
  return { ...genericFailure(problem, now), invalidLink: false };
}

/** What the verification page says once the link has worked. */
export function verifiedMessage(before: User | null, after: User): string {
  if (before && before.id === after.id && before.email !== after.email) return `Your email address is now ${after.email}.`;
  return `Your email address ${after.email} is verified.`;
}

export type VerifyFailure =
  /** 400: used, replaced, voided or expired; asking again is the way on. */
  | { kind: 'invalid-link'; message: string }
  /** 409: the new address of an email change was taken meanwhile. */
  | { kind: 'email-taken'; message: string }
  /** The link was not used (the server could not be reached, or failed): it may be tried again. */
  | { kind: 'retry'; message: string };

export const VERIFY_LINK_INVALID = RESET_LINK_INVALID;
export const VERIFY_EMAIL_TAKEN =
  'Your email address was not changed: another account has taken that address since you asked. You can choose another one in Settings.';

/** POST /email/verify. */
export function verifyFailure(problem: ApiProblem): VerifyFailure {
  if (problem.status === 400 || problem.status === 422) return { kind: 'invalid-link', message: VERIFY_LINK_INVALID };
  if (problem.status === 409 || problemSlug(problem) === 'email-taken') return { kind: 'email-taken', message: VERIFY_EMAIL_TAKEN };
  return { kind: 'retry', message: `Your email address could not be verified. ${problemMessage(problem)}` };
}

/** POST /me/email answered 202. */
export function changeEmailSent(newEmail: string): string {
  return `We sent a link to ${newEmail.trim()}. Your address changes once you open it.`;
}

/** POST /email/verify/resend answered 202. */
export function verificationSent(email: string): string {
  return `A new link is on its way to ${email}.`;
}

export type ResendFailure = { kind: 'session-ended' } | { kind: 'message'; message: string; retryAt: number | null };

/** POST /email/verify/resend: a 429 says how long until another link can be sent. */
export function resendFailure(problem: ApiProblem, now = Date.now()): ResendFailure {
  if (problem.status === 401) return { kind: 'session-ended' };
  if (problem.status === 429) {
    const wait = problem.retryAfter;
    return {
      kind: 'message',
      message: `Several links were sent already. ${wait !== undefined ? `You can ask again in ${formatSeconds(wait)}.` : 'Try again later.'}`,
      retryAt: wait !== undefined ? now + wait * 1000 : null,
    };
  }
  const { messages, retryAt } = genericFailure(problem, now);
  return { kind: 'message', message: `The link could not be sent. ${messages.join(' ')}`, retryAt };
}
