import specText from '../../../openapi/openapi.json?raw';
import { describe, expect, it } from 'vitest';
import { eventLabel, isWarningEvent } from './securityEventText';

const spec = JSON.parse(specText) as { components: { schemas: { SecurityEventKind: { enum: string[] } } } };

describe('eventLabel', () => {
  it('reads every kind in the spec as words of its own', () => {
    const kinds = spec.components.schemas.SecurityEventKind.enum;
    const labels = kinds.map(eventLabel);
    for (const [i, kind] of kinds.entries()) expect(labels[i], kind).not.toMatch(/-/);
    expect(new Set(labels).size).toBe(kinds.length);
  });

  it('says what happened in plain words', () => {
    expect(eventLabel('registered')).toBe('Account created');
    expect(eventLabel('login')).toBe('Logged in');
    expect(eventLabel('login-failed')).toBe('Failed login (wrong password)');
    expect(eventLabel('logout')).toBe('Logged out');
    expect(eventLabel('session-revoked')).toBe('Session revoked');
  });

  it('turns a kind it does not know (a newer server) into words', () => {
    expect(eventLabel('two-factor-enabled')).toBe('Two factor enabled');
    expect(eventLabel('')).toBe('Unknown event');
    // Not a key of the object's prototype either.
    expect(eventLabel('constructor')).toBe('Constructor');
  });
});

describe('isWarningEvent', () => {
  it('flags failed logins and lockouts only', () => {
    expect(isWarningEvent('login-failed')).toBe(true);
    expect(isWarningEvent('locked-out')).toBe(true);
    expect(isWarningEvent('login')).toBe(false);
    expect(isWarningEvent('registered')).toBe(false);
  });
});
