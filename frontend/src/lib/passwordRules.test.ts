import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { PasswordRuleList } from '../components/auth/PasswordRules';
import { loadCommonPasswords, newPasswordRules, passwordRules } from './passwordRules';

const metOf = (password: string, email: string | null, common: ReadonlySet<string> | null) =>
  Object.fromEntries(passwordRules(password, email, common).map((rule) => [rule.text, rule.met]));

describe('passwordRules', () => {
  it('loads the server\'s list of the 10,000 most common passwords', async () => {
    const common = await loadCommonPasswords();
    expect(common.size).toBe(10_000);
    for (const password of ['password', 'password1', '12345678', 'qwertyuiop']) expect(common.has(password)).toBe(true);
  });

  it('flags a common password, ignoring case, as the server refuses it', async () => {
    const common = await loadCommonPasswords();
    expect(metOf('Password1', 'ann@example.com', common)).toEqual({
      '8 to 72 bytes': true,
      'Not a common password': false,
      'Not your email': true,
    });
    expect(metOf('Pw-kx9-unusual-enough', 'ann@example.com', common)['Not a common password']).toBe(true);
  });

  it('leaves a rule unknown until there is something to check', () => {
    expect(Object.values(metOf('', 'ann@example.com', new Set()))).toEqual([null, null, null]);
    // The list has not arrived yet.
    expect(metOf('password1', 'ann@example.com', null)['Not a common password']).toBeNull();
  });

  it('checks length in UTF-8 bytes and the email case-insensitively', () => {
    expect(metOf('🔑🔑', 'a@b.c', new Set())['8 to 72 bytes']).toBe(true);
    expect(metOf('x'.repeat(73), 'a@b.c', new Set())['8 to 72 bytes']).toBe(false);
    expect(metOf('Ann@Example.com', ' ann@example.com ', new Set())['Not your email']).toBe(false);
  });

  it('leaves the email rule unknown where the email is (a reset link carries only a token)', () => {
    expect(metOf('Pw-kx9-unusual-enough', null, new Set())).toEqual({
      '8 to 72 bytes': true,
      'Not a common password': true,
      'Not your email': null,
    });
  });

  it('shows an unmet rule as unmet', async () => {
    const common = await loadCommonPasswords();
    const html = renderToStaticMarkup(
      createElement(PasswordRuleList, { id: 'rules', rules: passwordRules('password1', 'ann@example.com', common) }),
    );
    expect(html).toContain('<li class="rule rule--unmet">Not a common password</li>');
    expect(html).toContain('<li class="rule rule--met">8 to 72 bytes<span class="sr-only"> (done)</span></li>');
  });
});

describe('newPasswordRules', () => {
  const rulesOf = (password: string, current: string) =>
    Object.fromEntries(newPasswordRules(password, 'ann@example.com', current, new Set(['password'])).map((rule) => [rule.text, rule.met]));

  it("adds to registration's rules that it differs from the current password", () => {
    expect(rulesOf('new-secret-42', 'old-secret-42')).toEqual({
      '8 to 72 bytes': true,
      'Not a common password': true,
      'Not your email': true,
      'Differs from the current password': true,
    });
    expect(rulesOf('old-secret-42', 'old-secret-42')['Differs from the current password']).toBe(false);
  });

  it('compares exactly, as the server does: case counts', () => {
    expect(rulesOf('Old-Secret-42', 'old-secret-42')['Differs from the current password']).toBe(true);
  });

  it('does not know yet while either field is empty', () => {
    expect(rulesOf('', 'old-secret-42')['Differs from the current password']).toBeNull();
    expect(rulesOf('new-secret-42', '')['Differs from the current password']).toBeNull();
  });
});
