import { describe, expect, it } from 'vitest';
import { codePointLength, looksLikeEmail, utf8Length } from './text';
import { formatRelative } from './time';

describe('text', () => {
  it('counts code points, as the API does', () => {
    expect(codePointLength('hello')).toBe(5);
    expect(codePointLength('👋🏽')).toBe(2); // hand + skin tone modifier
    expect('👋🏽'.length).toBe(4);
    expect(codePointLength('é')).toBe(1);
    expect(codePointLength('')).toBe(0);
  });

  it('counts UTF-8 bytes for the password rule', () => {
    expect(utf8Length('abcdefgh')).toBe(8);
    expect(utf8Length('ü')).toBe(2);
    expect(utf8Length('🔑')).toBe(4);
  });

  it('recognises strings worth asking the server about', () => {
    expect(looksLikeEmail('ann@example.com')).toBe(true);
    expect(looksLikeEmail('ann@')).toBe(false);
    expect(looksLikeEmail('ann example@x.y')).toBe(false);
    expect(looksLikeEmail(`${'a'.repeat(250)}@x.yz`)).toBe(false);
  });
});

describe('formatRelative', () => {
  const rtf = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  const now = Date.parse('2026-11-26T12:00:00Z');
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();

  it('reads naturally', () => {
    expect(formatRelative(ago(0), now, rtf)).toBe('now');
    expect(formatRelative(ago(-30), now, rtf)).toBe('now'); // clock skew
    expect(formatRelative(ago(30), now, rtf)).toBe('30 seconds ago');
    expect(formatRelative(ago(120), now, rtf)).toBe('2 minutes ago');
    expect(formatRelative(ago(3600 * 5), now, rtf)).toBe('5 hours ago');
    expect(formatRelative(ago(86400 * 1.5), now, rtf)).toBe('yesterday');
    expect(formatRelative(ago(86400 * 8), now, rtf)).toBe('last week');
    expect(formatRelative(ago(86400 * 400), now, rtf)).toBe('last year');
    expect(formatRelative('not a date', now, rtf)).toBe('');
  });
});
