import { describe, expect, it } from 'vitest';
import { nameProblem } from './nameRule';

describe('nameProblem', () => {
  it('accepts 1 to 64 characters, counted as code points', () => {
    expect(nameProblem('Ada')).toBeNull();
    expect(nameProblem('n'.repeat(64))).toBeNull();
    expect(nameProblem('🙂'.repeat(64))).toBeNull();
    expect(nameProblem('  Ada  ')).toBeNull();
  });

  it('counts the length as sent, before trimming, as the server does', () => {
    expect(nameProblem('n'.repeat(65))).toBe('Must be at most 64 characters.');
    expect(nameProblem(` ${'n'.repeat(63)} `)).toBe('Must be at most 64 characters.');
  });

  it('refuses blank names and control characters', () => {
    expect(nameProblem('')).toBe('Must not be empty.');
    expect(nameProblem('   ')).toBe('Must not be empty.');
    for (const name of ['a\tb', 'line\nbreak', 'bell\u0007', 'del\u007f', 'c1\u0085']) {
      expect(nameProblem(name), JSON.stringify(name)).toMatch(/control characters/);
    }
  });
});
