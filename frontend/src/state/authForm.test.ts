import { describe, expect, it } from 'vitest';
import { toProblem, type ApiProblem } from '../api/problem';
import {
  EMAIL_IN_USE,
  INVALID_CREDENTIALS,
  WRONG_PASSWORD,
  WRONG_ACCOUNT_PASSWORD,
  changeEmailFailure,
  changePasswordFailure,
  deleteAccountFailure,
  loginFailure,
  registerFailure,
} from './authForm';

const now = Date.parse('2026-11-26T12:00:00Z');
const res = (status: number, headers: Record<string, string> = {}) => ({ status, statusText: '', headers: new Headers(headers) });
const rateLimited = (seconds: string): ApiProblem =>
  toProblem(res(429, { 'Retry-After': seconds }), {
    type: '/problems/rate-limited',
    title: 'Too many requests',
    status: 429,
    detail: 'Too many attempts; try again later',
  });

describe('loginFailure', () => {
  it('says how long to wait on a 429, from Retry-After, and when the wait is over', () => {
    expect(loginFailure(rateLimited('42'), now)).toEqual({
      messages: ['Too many attempts. Try again in 42 seconds.'],
      problem: null,
      retryAt: now + 42_000,
      invalidCredentials: false,
    });
    // A lockout of 3600 s reads in minutes.
    expect(loginFailure(rateLimited('3600'), now).messages).toEqual(['Too many attempts. Try again in 60 minutes.']);
  });

  it('without Retry-After says "later" and sets no timer', () => {
    const p = toProblem(res(429), { type: '/problems/rate-limited', title: 'Too many requests' });
    expect(loginFailure(p, now)).toMatchObject({ messages: ['Too many attempts. Try again later.'], retryAt: null });
  });

  it('keeps the wait of a 503 too (hashing queue full)', () => {
    const p = toProblem(res(503, { 'Retry-After': '2' }), { type: '/problems/unavailable', title: 'Unavailable' });
    expect(loginFailure(p, now)).toMatchObject({
      messages: ['The service is temporarily unavailable. Try again in 2 seconds.'],
      retryAt: now + 2_000,
    });
  });

  it('is generic on wrong credentials and puts 422 errors next to the fields', () => {
    const wrong = toProblem(res(401), { type: '/problems/invalid-credentials', title: 'Invalid email or password' });
    expect(loginFailure(wrong, now)).toEqual({ messages: [INVALID_CREDENTIALS], problem: null, retryAt: null, invalidCredentials: true });
    const invalid = toProblem(res(422), { type: '/problems/validation', errors: { email: ['required'], extra: ['unknown field'] } });
    expect(loginFailure(invalid, now)).toEqual({
      messages: ['extra: unknown field'],
      problem: invalid,
      retryAt: null,
      invalidCredentials: false,
    });
  });

  it('shows a cross-site rejection as it is', () => {
    const p = toProblem(res(403), { type: '/problems/forbidden-origin', title: 'Forbidden origin', detail: 'Cross-site request refused' });
    expect(loginFailure(p, now).messages).toEqual(['Cross-site request refused.']);
  });
});

describe('registerFailure', () => {
  it('says how long to wait on a 429, from Retry-After', () => {
    expect(registerFailure(rateLimited('42'), now)).toEqual({
      messages: ['Too many attempts. Try again in 42 seconds.'],
      problem: null,
      retryAt: now + 42_000,
      emailTaken: false,
    });
    expect(registerFailure(rateLimited('1'), now).messages).toEqual(['Too many attempts. Try again in 1 second.']);
  });

  it('puts email-taken next to the email field', () => {
    const p = toProblem(res(409), { type: '/problems/email-taken', title: 'Email taken', detail: 'This email is already registered' });
    const f = registerFailure(p, now);
    expect(f).toMatchObject({ messages: [], retryAt: null, emailTaken: true });
    expect(f.problem?.errors.email).toEqual(['This email is already registered']);
  });

  it('lists 422 errors of fields the form does not have', () => {
    const p = toProblem(res(422), { type: '/problems/validation', errors: { name: ['too long'], nmae: ['unknown field'] } });
    expect(registerFailure(p, now)).toMatchObject({ messages: ['nmae: unknown field'], problem: p, emailTaken: false });
  });
});

const wrongPassword = () =>
  toProblem(res(403), { type: '/problems/wrong-password', title: 'Wrong password', status: 403, detail: 'The password is not right' });

describe('changePasswordFailure', () => {
  it('puts a wrong current password on its field', () => {
    const f = changePasswordFailure(wrongPassword(), now);
    expect(f).toMatchObject({ messages: [], retryAt: null, sessionEnded: false });
    expect(f.problem?.errors).toEqual({ current_password: [WRONG_PASSWORD] });
    expect(WRONG_PASSWORD).toBe('The current password is wrong.');
  });

  it('keeps a 403 that is not about the password (cross-site) as a form message', () => {
    const p = toProblem(res(403), { type: '/problems/forbidden-origin', title: 'Forbidden origin', detail: 'Cross-site request refused' });
    expect(changePasswordFailure(p, now)).toMatchObject({ messages: ['Cross-site request refused.'], problem: null });
  });

  it("puts the server's 422 messages on the fields, and lists the others", () => {
    const p = toProblem(res(422), {
      type: '/problems/validation',
      errors: { new_password: ['must differ from the current password'], extra: ['unknown field'] },
    });
    expect(changePasswordFailure(p, now)).toEqual({ messages: ['extra: unknown field'], problem: p, retryAt: null, sessionEnded: false });
  });

  it('says how long to wait on a 429, as the login does', () => {
    expect(changePasswordFailure(rateLimited('42'), now)).toEqual({
      messages: ['Too many attempts. Try again in 42 seconds.'],
      problem: null,
      retryAt: now + 42_000,
      sessionEnded: false,
    });
  });

  it('reports a 401: the session is gone', () => {
    expect(changePasswordFailure(toProblem(res(401), { type: '/problems/unauthenticated' }), now)).toMatchObject({
      sessionEnded: true,
      messages: [],
    });
  });
});

describe('deleteAccountFailure', () => {
  it('puts a wrong password on the password field', () => {
    const f = deleteAccountFailure(wrongPassword(), now);
    expect(f).toMatchObject({ messages: [], retryAt: null, sessionEnded: false });
    expect(f.problem?.errors).toEqual({ password: [WRONG_ACCOUNT_PASSWORD] });
  });

  it('says how long to wait on a 429, and reports a 401', () => {
    expect(deleteAccountFailure(rateLimited('3600'), now)).toMatchObject({
      messages: ['Too many attempts. Try again in 60 minutes.'],
      retryAt: now + 3_600_000,
    });
    expect(deleteAccountFailure(toProblem(res(401), {}), now).sessionEnded).toBe(true);
  });

  it("puts the server's 422 messages on the field", () => {
    const p = toProblem(res(422), { type: '/problems/validation', errors: { password: ['required'] } });
    expect(deleteAccountFailure(p, now)).toMatchObject({ messages: [], problem: p });
  });
});

describe('changeEmailFailure', () => {
  it('puts a wrong password on the password field', () => {
    const f = changeEmailFailure(wrongPassword(), now);
    expect(f).toMatchObject({ messages: [], retryAt: null, sessionEnded: false });
    expect(f.problem?.errors).toEqual({ password: [WRONG_ACCOUNT_PASSWORD] });
  });

  it('puts a taken address (409) on the new email field', () => {
    const p = toProblem(res(409), { type: '/problems/email-taken', title: 'Email already registered' });
    const f = changeEmailFailure(p, now);
    expect(f).toMatchObject({ messages: [], retryAt: null, sessionEnded: false });
    expect(f.problem?.errors).toEqual({ new_email: [EMAIL_IN_USE] });
  });

  it("puts the server's 422 messages on both fields, and lists the others", () => {
    const p = toProblem(res(422), {
      type: '/problems/validation',
      errors: { new_email: ['must be a valid email address'], password: ['required'], extra: ['unknown field'] },
    });
    expect(changeEmailFailure(p, now)).toEqual({ messages: ['extra: unknown field'], problem: p, retryAt: null, sessionEnded: false });
  });

  it('says how long to wait on a 429, and reports a 401', () => {
    expect(changeEmailFailure(rateLimited('42'), now)).toMatchObject({
      messages: ['Too many attempts. Try again in 42 seconds.'],
      retryAt: now + 42_000,
    });
    expect(changeEmailFailure(toProblem(res(401), {}), now).sessionEnded).toBe(true);
  });
});
