import { describe, expect, it } from 'vitest';
import { tokenFromFragment, withoutFragment } from './linkToken';

const hex = '3f0c8a1d5b7e9f20c4d6e8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8d0e2f4a6b8c0';

describe('tokenFromFragment', () => {
  it('reads the token of a mailed link, with or without the #', () => {
    expect(tokenFromFragment(`#token=${hex}`)).toBe(hex);
    expect(tokenFromFragment(`token=${hex}`)).toBe(hex);
  });

  it('finds it among other parameters and decodes it', () => {
    expect(tokenFromFragment(`#from=mail&token=${hex}&x=1`)).toBe(hex);
    expect(tokenFromFragment('#token=ab%2Dcd')).toBe('ab-cd');
  });

  it('drops the spaces a mail client may have wrapped around it', () => {
    expect(tokenFromFragment(`#token=%20${hex}%0A`)).toBe(hex);
  });

  it('is null when the link has no token (cut short, or opened by hand)', () => {
    for (const hash of ['', '#', '#token', '#token=', '#token=%20', '#TOKEN=abc', '#other=abc']) {
      expect(tokenFromFragment(hash), hash).toBeNull();
    }
  });
});

describe('withoutFragment', () => {
  it('keeps the path and the query, not the fragment', () => {
    expect(withoutFragment({ pathname: '/verify-email', search: '' })).toBe('/verify-email');
    expect(withoutFragment({ pathname: '/reset-password', search: '?lang=en' })).toBe('/reset-password?lang=en');
  });
});
