import { describe, expect, it } from 'vitest';
import type { User } from '../api/client';
import { toProblem } from '../api/problem';
import {
  RESET_LINK_INVALID,
  VERIFY_EMAIL_TAKEN,
  changeEmailSent,
  forgotPasswordFailure,
  resendFailure,
  resetLinkSent,
  resetPasswordFailure,
  verifiedMessage,
  verifyFailure,
} from './emailFlows';

const now = Date.parse('2026-11-26T12:00:00Z');
const res = (status: number, headers: Record<string, string> = {}) => ({ status, statusText: '', headers: new Headers(headers) });
const problem = (status: number, body: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  toProblem(res(status, headers), body);
const ada: User = { id: 1, email: 'ada@example.com', name: 'Ada', created_at: '2026-11-26T11:05:37Z', email_verified: false };

describe('resetLinkSent', () => {
  it('says the same whatever the address, which is only echoed', () => {
    const known = resetLinkSent('ada@example.com');
    const unknown = resetLinkSent('nobody@example.com');
    expect(known.replace('ada@example.com', 'X')).toBe(unknown.replace('nobody@example.com', 'X'));
    expect(resetLinkSent(' ada@example.com ')).toBe(known);
  });
});

describe('forgotPasswordFailure', () => {
  it('puts a 422 on the email field, and lists the others', () => {
    const p = problem(422, { type: '/problems/validation', errors: { email: ['must be a valid email address'], extra: ['unknown field'] } });
    expect(forgotPasswordFailure(p, now)).toEqual({ messages: ['extra: unknown field'], problem: p, retryAt: null });
  });

  it('says how long to wait on a 429', () => {
    expect(forgotPasswordFailure(problem(429, { type: '/problems/rate-limited' }, { 'Retry-After': '600' }), now)).toEqual({
      messages: ['Too many attempts. Try again in 10 minutes.'],
      problem: null,
      retryAt: now + 600_000,
    });
  });
});

describe('resetPasswordFailure', () => {
  it('turns a dead link (400 invalid-token) into "ask for a new one"', () => {
    expect(resetPasswordFailure(problem(400, { type: '/problems/invalid-token' }), now)).toEqual({
      messages: [],
      problem: null,
      retryAt: null,
      invalidLink: true,
    });
    expect(RESET_LINK_INVALID).toMatch(/used.*expired/);
  });

  it('treats a token the server would not even read as a dead link too', () => {
    const p = problem(422, { type: '/problems/validation', errors: { token: ['must be a string'] } });
    expect(resetPasswordFailure(p, now).invalidLink).toBe(true);
  });

  it('puts the new password rules the server found broken on its field', () => {
    const p = problem(422, { type: '/problems/validation', errors: { new_password: ['is too common'] } });
    expect(resetPasswordFailure(p, now)).toEqual({ messages: [], problem: p, retryAt: null, invalidLink: false });
  });

  it('says how long to wait on a 429', () => {
    expect(resetPasswordFailure(problem(429, {}, { 'Retry-After': '42' }), now)).toMatchObject({
      messages: ['Too many attempts. Try again in 42 seconds.'],
      retryAt: now + 42_000,
      invalidLink: false,
    });
  });
});

describe('verifiedMessage', () => {
  it('says the address is verified', () => {
    expect(verifiedMessage(null, { ...ada, email_verified: true })).toBe('Your email address ada@example.com is verified.');
    expect(verifiedMessage(ada, { ...ada, email_verified: true })).toBe('Your email address ada@example.com is verified.');
  });

  it('says the new address when the link changed it', () => {
    expect(verifiedMessage(ada, { ...ada, email: 'ada@new.example', email_verified: true })).toBe('Your email address is now ada@new.example.');
  });

  it('does not compare with another account logged in in this browser', () => {
    const other = { ...ada, id: 2, email: 'bob@example.com' };
    expect(verifiedMessage(other, { ...ada, email_verified: true })).toBe('Your email address ada@example.com is verified.');
  });
});

describe('verifyFailure', () => {
  it('explains a dead link (400) and a taken address (409)', () => {
    expect(verifyFailure(problem(400, { type: '/problems/invalid-token' })).kind).toBe('invalid-link');
    expect(verifyFailure(problem(409, { type: '/problems/email-taken' }))).toEqual({ kind: 'email-taken', message: VERIFY_EMAIL_TAKEN });
  });

  it('lets the link be tried again when it was not used', () => {
    expect(verifyFailure(problem(503, { title: 'Unavailable' }, { 'Retry-After': '2' }))).toEqual({
      kind: 'retry',
      message: 'Your email address could not be verified. The service is temporarily unavailable. Try again in 2 seconds.',
    });
    expect(verifyFailure({ status: 0, type: 'network', title: 'Network error', detail: 'Offline.', errors: {} }).kind).toBe('retry');
  });
});

describe('changeEmailSent', () => {
  it('names the new address, where the link went', () => {
    expect(changeEmailSent(' ada@new.example ')).toBe('We sent a link to ada@new.example. Your address changes once you open it.');
  });
});

describe('resendFailure', () => {
  it("says a 429's wait, and when it is over", () => {
    expect(resendFailure(problem(429, { type: '/problems/rate-limited' }, { 'Retry-After': '1800' }), now)).toEqual({
      kind: 'message',
      message: 'Several links were sent already. You can ask again in 30 minutes.',
      retryAt: now + 1_800_000,
    });
    expect(resendFailure(problem(429, {}), now)).toEqual({
      kind: 'message',
      message: 'Several links were sent already. Try again later.',
      retryAt: null,
    });
  });

  it('reports a 401: the session is gone', () => {
    expect(resendFailure(problem(401), now)).toEqual({ kind: 'session-ended' });
  });

  it('says any other failure', () => {
    expect(resendFailure(problem(500), now)).toMatchObject({
      message: 'The link could not be sent. Something went wrong on the server. Please try again.',
    });
  });
});
