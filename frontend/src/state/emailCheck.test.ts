import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EmailAvailability, Result } from '../api/client';
import { createEmailChecker, type CheckEmailFn, type EmailCheckState } from './emailCheck';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const answer = (email: string, available: boolean): Result<EmailAvailability> => ({
  ok: true,
  data: { email, available },
});

describe('createEmailChecker', () => {
  let states: EmailCheckState[];
  const last = () => states[states.length - 1];

  beforeEach(() => {
    vi.useFakeTimers();
    states = [];
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks once, 300 ms after typing stops', async () => {
    const check = vi.fn<CheckEmailFn>(async (email) => answer(email, false));
    const checker = createEmailChecker(check, (s) => states.push(s));
    for (const value of ['a@b', 'a@b.', 'a@b.c', 'a@b.co']) {
      checker.update(value);
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(check).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(200);
    expect(check).toHaveBeenCalledTimes(1);
    expect(check.mock.calls[0]![0]).toBe('a@b.co');
    expect(last()).toEqual({ kind: 'taken', email: 'a@b.co' });
    expect(states).toContainEqual({ kind: 'checking', email: 'a@b.co' });
  });

  it('does not ask about values that are not addresses, and clears the old answer', async () => {
    const check = vi.fn<CheckEmailFn>(async (email) => answer(email, true));
    const checker = createEmailChecker(check, (s) => states.push(s));
    checker.update('ann@example.com');
    await vi.advanceTimersByTimeAsync(300);
    expect(last()).toEqual({ kind: 'available', email: 'ann@example.com' });
    checker.update('ann');
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).toHaveBeenCalledTimes(1);
    expect(last()).toEqual({ kind: 'idle' });
    checker.update('   ');
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).toHaveBeenCalledTimes(1);
  });

  it('aborts the request in flight and ignores its late answer', async () => {
    const pending = deferred<Result<EmailAvailability>>();
    const signals: AbortSignal[] = [];
    const check = vi.fn<CheckEmailFn>((email, signal) => {
      signals.push(signal);
      return email === 'old@example.com' ? pending.promise : Promise.resolve(answer(email, true));
    });
    const checker = createEmailChecker(check, (s) => states.push(s));
    checker.update('old@example.com');
    await vi.advanceTimersByTimeAsync(300);
    expect(last()).toEqual({ kind: 'checking', email: 'old@example.com' });
    checker.update('new@example.com');
    expect(signals[0]!.aborted).toBe(true);
    await vi.advanceTimersByTimeAsync(300);
    expect(last()).toEqual({ kind: 'available', email: 'new@example.com' });
    pending.resolve(answer('old@example.com', false));
    await vi.advanceTimersByTimeAsync(0);
    expect(last()).toEqual({ kind: 'available', email: 'new@example.com' });
  });

  it('shows the server field error on 422 and a retry hint on 429', async () => {
    const check = vi.fn<CheckEmailFn>(async (email): Promise<Result<EmailAvailability>> =>
      email.startsWith('bad')
        ? {
            ok: false,
            problem: { status: 422, type: '/problems/validation', title: 'Invalid', errors: { email: ['not an email address'] } },
          }
        : { ok: false, problem: { status: 429, type: '/problems/rate-limited', title: 'Too many', errors: {}, retryAfter: 12 } },
    );
    const checker = createEmailChecker(check, (s) => states.push(s));
    checker.update('bad@x');
    await vi.advanceTimersByTimeAsync(300);
    expect(last()).toEqual({ kind: 'invalid', email: 'bad@x', message: 'not an email address' });
    checker.update('ok@x.y');
    await vi.advanceTimersByTimeAsync(300);
    expect(last()).toEqual({ kind: 'error', email: 'ok@x.y', message: 'Too many checks right now. Checking again in 12 seconds.' });
  });

  it('after a 429, sends nothing until Retry-After has passed, then checks the current value', async () => {
    let limited = true;
    const check = vi.fn<CheckEmailFn>(async (email): Promise<Result<EmailAvailability>> =>
      limited
        ? { ok: false, problem: { status: 429, type: '/problems/rate-limited', title: 'Too many', errors: {}, retryAfter: 42 } }
        : answer(email, true),
    );
    const checker = createEmailChecker(check, (s) => states.push(s));
    checker.update('ann@example.com');
    await vi.advanceTimersByTimeAsync(300);
    expect(check).toHaveBeenCalledTimes(1);
    expect(last()).toEqual({
      kind: 'error',
      email: 'ann@example.com',
      message: 'Too many checks right now. Checking again in 42 seconds.',
    });

    // Typing on during the wait: no request, and the message counts down.
    await vi.advanceTimersByTimeAsync(10_000);
    checker.update('bob@example.com');
    expect(last()).toEqual({
      kind: 'error',
      email: 'bob@example.com',
      message: 'Too many checks right now. Checking again in 32 seconds.',
    });
    await vi.advanceTimersByTimeAsync(31_000);
    expect(check).toHaveBeenCalledTimes(1);

    // The wait is over: the value typed last is checked, once.
    limited = false;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(check).toHaveBeenCalledTimes(2);
    expect(check.mock.calls[1]![0]).toBe('bob@example.com');
    expect(last()).toEqual({ kind: 'available', email: 'bob@example.com' });

    // And later values are checked after the usual 300 ms again.
    checker.update('cy@example.com');
    await vi.advanceTimersByTimeAsync(300);
    expect(check).toHaveBeenCalledTimes(3);
  });

  it('re-checks the same value by itself when the wait is over', async () => {
    const check = vi
      .fn<CheckEmailFn>()
      .mockResolvedValueOnce({
        ok: false,
        problem: { status: 429, type: '/problems/rate-limited', title: 'Too many', errors: {}, retryAfter: 0 },
      })
      .mockImplementation(async (email) => answer(email, false));
    const checker = createEmailChecker(check, (s) => states.push(s));
    checker.update('ann@example.com');
    await vi.advanceTimersByTimeAsync(300);
    // "Retry-After: 0" still waits a second: no busy loop.
    expect(last()).toEqual({
      kind: 'error',
      email: 'ann@example.com',
      message: 'Too many checks right now. Checking again in 1 second.',
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(check).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(check).toHaveBeenCalledTimes(2);
    expect(last()).toEqual({ kind: 'taken', email: 'ann@example.com' });
  });

  it('shows a 429 without Retry-After as "try again later" and does not wait', async () => {
    const check = vi
      .fn<CheckEmailFn>()
      .mockResolvedValueOnce({ ok: false, problem: { status: 429, type: '/problems/rate-limited', title: 'Too many', errors: {} } })
      .mockImplementation(async (email) => answer(email, true));
    const checker = createEmailChecker(check, (s) => states.push(s));
    checker.update('ann@example.com');
    await vi.advanceTimersByTimeAsync(300);
    expect(last()).toEqual({ kind: 'error', email: 'ann@example.com', message: 'Too many attempts. Try again later.' });
    checker.update('ann@example.co');
    await vi.advanceTimersByTimeAsync(300);
    expect(check).toHaveBeenCalledTimes(2);
  });

  it('stops after dispose', async () => {
    const check = vi.fn<CheckEmailFn>(async (email) => answer(email, true));
    const checker = createEmailChecker(check, (s) => states.push(s));
    checker.update('ann@example.com');
    checker.dispose();
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).not.toHaveBeenCalled();
  });
});
