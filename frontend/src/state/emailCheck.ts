import { isAbortError, type EmailAvailability, type Result } from '../api/client';
import { fieldError, formatSeconds, problemMessage } from '../api/problem';
import { looksLikeEmail } from '../lib/text';

export type EmailCheckState =
  | { kind: 'idle' }
  | { kind: 'checking'; email: string }
  | { kind: 'available'; email: string }
  | { kind: 'taken'; email: string }
  | { kind: 'invalid'; email: string; message: string }
  | { kind: 'error'; email: string; message: string };

export type CheckEmailFn = (email: string, signal: AbortSignal) => Promise<Result<EmailAvailability>>;

export const EMAIL_CHECK_DELAY_MS = 300;

/** Shown while /checkemail is rate-limited (429 with Retry-After). */
export function checkWaitMessage(seconds: number): string {
  return `Too many checks right now. Checking again in ${formatSeconds(seconds)}.`;
}

export interface EmailChecker {
  /** Call on every keystroke; asks the server once typing pauses. */
  update(value: string): void;
  /** Cancels the pending timer and request. */
  dispose(): void;
}

/**
 * Debounced "is this email taken?": waits `delayMs` after the last change,
 * cancels the request in flight when the value changes, and never reports an
 * answer for a value that is no longer the current one. After a 429 it sends
 * nothing until Retry-After has passed, says so, and then checks the value
 * that is current by then.
 */
export function createEmailChecker(
  check: CheckEmailFn,
  onChange: (state: EmailCheckState) => void,
  delayMs = EMAIL_CHECK_DELAY_MS,
  now: () => number = () => Date.now(),
): EmailChecker {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;
  let generation = 0;
  /** No request before this time (epoch ms): the server said 429. */
  let blockedUntil = 0;

  function schedule(email: string, mine: number, ms: number) {
    timer = setTimeout(() => {
      timer = undefined;
      void run(email, mine);
    }, ms);
  }

  function cancel() {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    controller?.abort();
    controller = undefined;
  }

  async function run(email: string, mine: number) {
    controller = new AbortController();
    const { signal } = controller;
    onChange({ kind: 'checking', email });
    let result: Result<EmailAvailability>;
    try {
      result = await check(email, signal);
    } catch (error) {
      if (isAbortError(error) || mine !== generation) return;
      onChange({ kind: 'error', email, message: 'Could not check this email.' });
      return;
    }
    if (mine !== generation || signal.aborted) return;
    if (result.ok) {
      onChange({ kind: result.data.available ? 'available' : 'taken', email });
    } else if (result.problem.status === 422) {
      onChange({ kind: 'invalid', email, message: fieldError(result.problem, 'email') ?? problemMessage(result.problem) });
    } else if (result.problem.status === 429 && result.problem.retryAfter !== undefined) {
      // At least a second, so a "Retry-After: 0" cannot make a busy loop.
      const seconds = Math.max(1, result.problem.retryAfter);
      blockedUntil = now() + seconds * 1000;
      onChange({ kind: 'error', email, message: checkWaitMessage(seconds) });
      schedule(email, mine, seconds * 1000);
    } else {
      onChange({ kind: 'error', email, message: problemMessage(result.problem) });
    }
  }

  return {
    update(value: string) {
      cancel();
      const mine = ++generation;
      const email = value.trim();
      if (!looksLikeEmail(email)) {
        // A stale answer for the previous value must not linger while typing.
        onChange({ kind: 'idle' });
        return;
      }
      const wait = blockedUntil - now();
      if (wait > 0) {
        onChange({ kind: 'error', email, message: checkWaitMessage(Math.ceil(wait / 1000)) });
        schedule(email, mine, Math.max(wait, delayMs));
      } else {
        onChange({ kind: 'idle' });
        schedule(email, mine, delayMs);
      }
    },
    dispose() {
      generation++;
      cancel();
    },
  };
}
