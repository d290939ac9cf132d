import { PASSWORD_MAX_BYTES, PASSWORD_MIN_BYTES, utf8Length } from './text';

// The register form's password rules, as the server applies them (see
// "Password" in API.md): each is met, unmet, or not yet known (null).

export interface PasswordRule {
  text: string;
  met: boolean | null;
}

/** The server's own list (src/domain/common_passwords.txt), in a chunk of its own loaded on first use. */
export async function loadCommonPasswords(): Promise<ReadonlySet<string>> {
  const { default: list } = await import('../../../src/domain/common_passwords.txt?raw');
  return new Set(list.split('\n').filter((line) => line !== '').map((line) => line.toLowerCase()));
}

/**
 * `commonPasswords` is null until it has loaded: that rule is then unknown.
 * `email` is null where the page does not know it (a reset link carries only
 * a token): the server still checks that rule. Both comparisons ignore case,
 * as the server's do.
 */
export function passwordRules(password: string, email: string | null, commonPasswords: ReadonlySet<string> | null): PasswordRule[] {
  const bytes = utf8Length(password);
  const typed = password !== '';
  const lowered = password.toLowerCase();
  return [
    {
      text: `${PASSWORD_MIN_BYTES} to ${PASSWORD_MAX_BYTES} bytes`,
      met: typed ? bytes >= PASSWORD_MIN_BYTES && bytes <= PASSWORD_MAX_BYTES : null,
    },
    { text: 'Not a common password', met: typed && commonPasswords ? !commonPasswords.has(lowered) : null },
    { text: 'Not your email', met: typed && email !== null ? lowered !== email.trim().toLowerCase() : null },
  ];
}

/**
 * The rules of a new password on the settings page: those of registration,
 * and that it differs from the current one. The server compares the two
 * fields exactly as sent (case counts), so this does too.
 */
export function newPasswordRules(
  password: string,
  email: string | null,
  currentPassword: string,
  commonPasswords: ReadonlySet<string> | null,
): PasswordRule[] {
  const differs = password !== '' && currentPassword !== '' ? password !== currentPassword : null;
  return [...passwordRules(password, email, commonPasswords), { text: 'Differs from the current password', met: differs }];
}
