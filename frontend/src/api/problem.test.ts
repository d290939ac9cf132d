import { describe, expect, it } from 'vitest';
import {
  fieldError,
  formatSeconds,
  networkProblem,
  otherFieldErrors,
  parseRetryAfter,
  problemMessage,
  problemSlug,
  toProblem,
} from './problem';

function res(status: number, headers: Record<string, string> = {}, statusText = '') {
  return { status, statusText, headers: new Headers(headers) };
}

describe('toProblem', () => {
  it('reads a validation problem document with its field errors', () => {
    const p = toProblem(res(422), {
      type: '/problems/validation',
      title: 'Validation failed',
      status: 422,
      detail: 'Some fields are invalid',
      errors: { email: ['is not a valid address'], password: ['is too short', 'is too common'] },
    });
    expect(p).toEqual({
      status: 422,
      type: '/problems/validation',
      title: 'Validation failed',
      detail: 'Some fields are invalid',
      errors: { email: ['is not a valid address'], password: ['is too short', 'is too common'] },
    });
    expect(problemSlug(p)).toBe('validation');
    expect(fieldError(p, 'password')).toBe('is too short is too common');
    expect(fieldError(p, 'name')).toBeUndefined();
    expect(otherFieldErrors(p, ['email'])).toEqual(['password: is too short is too common']);
  });

  it('keeps the HTTP status over the body and survives bodies that are not problems', () => {
    expect(toProblem(res(502, {}, 'Bad Gateway'), '<html>oops</html>')).toEqual({
      status: 502,
      type: 'about:blank',
      title: 'Bad Gateway',
      errors: {},
    });
    expect(toProblem(res(500), undefined).title).toBe('HTTP 500');
    expect(toProblem(res(409), { status: 200, title: 'Email taken', type: '/problems/email-taken' }).status).toBe(409);
  });

  it('ignores malformed errors entries and accepts a bare string', () => {
    const p = toProblem(res(422), { errors: { a: 'bad', b: [1, 'two'], c: null, d: [] } });
    expect(p.errors).toEqual({ a: ['bad'], b: ['two'] });
    expect(toProblem(res(422), { errors: ['x'] }).errors).toEqual({});
  });

  it('reads Retry-After', () => {
    expect(toProblem(res(429, { 'Retry-After': '42' }), { type: '/problems/rate-limited' }).retryAfter).toBe(42);
    expect(toProblem(res(503), {}).retryAfter).toBeUndefined();
  });
});

describe('parseRetryAfter', () => {
  it('takes seconds or an HTTP date', () => {
    expect(parseRetryAfter('0')).toBe(0);
    expect(parseRetryAfter(' 120 ')).toBe(120);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:01:30 GMT', now)).toBe(90);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('problemMessage', () => {
  it('says when to retry on 429 and 503', () => {
    expect(problemMessage(toProblem(res(429, { 'Retry-After': '45' }), {}))).toBe(
      'Too many attempts. Try again in 45 seconds.',
    );
    expect(problemMessage(toProblem(res(429, { 'Retry-After': '60' }), {}))).toBe(
      'Too many attempts. Try again in 1 minute.',
    );
    expect(problemMessage(toProblem(res(429, { 'Retry-After': '1' }), {}))).toBe(
      'Too many attempts. Try again in 1 second.',
    );
    expect(problemMessage(toProblem(res(503, { 'Retry-After': '125' }), { title: 'Unavailable' }))).toBe(
      'The service is temporarily unavailable. Try again in 3 minutes.',
    );
    expect(problemMessage(toProblem(res(503), {}))).toBe('The service is temporarily unavailable. Try again later.');
  });

  it('prefers detail over title and never shows internals of a 500', () => {
    expect(problemMessage(toProblem(res(409), { title: 'Conflict', detail: 'Email already registered' }))).toBe(
      'Email already registered.',
    );
    expect(problemMessage(toProblem(res(403), { title: 'Forbidden origin.' }))).toBe('Forbidden origin.');
    expect(problemMessage(toProblem(res(500), { title: 'Internal', detail: 'SQL error at ...' }))).toBe(
      'Something went wrong on the server. Please try again.',
    );
  });

  it('describes network failures', () => {
    const p = networkProblem(new TypeError('Failed to fetch'));
    expect(p.status).toBe(0);
    expect(problemMessage(p)).toMatch(/^Could not reach the server\..*Failed to fetch/);
  });
});

describe('formatSeconds', () => {
  it('rounds minutes up', () => {
    expect(formatSeconds(59)).toBe('59 seconds');
    expect(formatSeconds(60)).toBe('1 minute');
    expect(formatSeconds(61)).toBe('2 minutes');
  });
});
