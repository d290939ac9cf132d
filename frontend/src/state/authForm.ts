import { otherFieldErrors, problemMessage, problemSlug, type ApiProblem } from '../api/problem';

// What the log-in and register forms show for a failed request, kept out of
// the components so that every branch (429 waits included) is unit-tested.

export const INVALID_CREDENTIALS = 'Invalid email or password';
export const WAIT_OVER = 'You can try again now.';

export interface FormFailure {
  /** Form-level messages (role="alert"). */
  messages: string[];
  /** The problem whose field errors are shown next to the inputs, if any. */
  problem: ApiProblem | null;
  /**
   * When a 429 (or 503) with Retry-After is over, in epoch ms: the form then
   * replaces the message with WAIT_OVER, so no stale "in 42 seconds" stays.
   */
  retryAt: number | null;
}

function waitUntil(problem: ApiProblem, now: number): number | null {
  if ((problem.status !== 429 && problem.status !== 503) || problem.retryAfter === undefined) return null;
  return now + problem.retryAfter * 1000;
}

/** Any other failure: said above the button, with a 429's (or 503's) wait. */
export function genericFailure(problem: ApiProblem, now: number): FormFailure {
  return { messages: [problemMessage(problem)], problem: null, retryAt: waitUntil(problem, now) };
}

export function loginFailure(problem: ApiProblem, now = Date.now()): FormFailure & { invalidCredentials: boolean } {
  if (problem.status === 401) {
    return { messages: [INVALID_CREDENTIALS], problem: null, retryAt: null, invalidCredentials: true };
  }
  if (problem.status === 422) {
    return { messages: otherFieldErrors(problem, ['email', 'password']), problem, retryAt: null, invalidCredentials: false };
  }
  return { ...genericFailure(problem, now), invalidCredentials: false };
}

export function registerFailure(problem: ApiProblem, now = Date.now()): FormFailure & { emailTaken: boolean } {
  if (problem.status === 409 || problemSlug(problem) === 'email-taken') {
    return {
      messages: [],
      problem: { ...problem, errors: { ...problem.errors, email: [problem.detail ?? 'This email already has an account.'] } },
      retryAt: null,
      emailTaken: true,
    };
  }
  if (problem.status === 422) {
    return { messages: otherFieldErrors(problem, ['email', 'name', 'password']), problem, retryAt: null, emailTaken: false };
  }
  return { ...genericFailure(problem, now), emailTaken: false };
}

export const WRONG_PASSWORD = 'The current password is wrong.';
export const WRONG_ACCOUNT_PASSWORD = 'The password is wrong.';

/**
 * The settings forms that ask for the password (changing it, deleting the
 * account): `sessionEnded` on a 401, the wrong password on its field, 422
 * messages on the fields, and a 429 with its wait as at login.
 */
export interface PasswordFormFailure extends FormFailure {
  sessionEnded: boolean;
}

function passwordFormFailure(
  problem: ApiProblem,
  passwordField: string,
  wrongPassword: string,
  fields: readonly string[],
  now: number,
): PasswordFormFailure {
  if (problem.status === 401) return { messages: [], problem: null, retryAt: null, sessionEnded: true };
  if (problem.status === 403 && problemSlug(problem) === 'wrong-password') {
    return {
      messages: [],
      problem: { ...problem, errors: { [passwordField]: [wrongPassword] } },
      retryAt: null,
      sessionEnded: false,
    };
  }
  if (problem.status === 422) {
    return { messages: otherFieldErrors(problem, fields), problem, retryAt: null, sessionEnded: false };
  }
  return { ...genericFailure(problem, now), sessionEnded: false };
}

/** POST /me/password. */
export function changePasswordFailure(problem: ApiProblem, now = Date.now()): PasswordFormFailure {
  return passwordFormFailure(problem, 'current_password', WRONG_PASSWORD, ['current_password', 'new_password'], now);
}

/** DELETE /me. */
export function deleteAccountFailure(problem: ApiProblem, now = Date.now()): PasswordFormFailure {
  return passwordFormFailure(problem, 'password', WRONG_ACCOUNT_PASSWORD, ['password'], now);
}

export const EMAIL_IN_USE = 'Another account already uses this email.';

/** POST /me/email: as the other password forms, and a taken address (409) on its field. */
export function changeEmailFailure(problem: ApiProblem, now = Date.now()): PasswordFormFailure {
  if (problem.status === 409) {
    return { messages: [], problem: { ...problem, errors: { new_email: [EMAIL_IN_USE] } }, retryAt: null, sessionEnded: false };
  }
  return passwordFormFailure(problem, 'password', WRONG_ACCOUNT_PASSWORD, ['new_email', 'password'], now);
}
