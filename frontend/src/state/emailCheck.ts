import { isAbortError, type EmailAvailability, type Result } from '../api/client';
import { fieldError, problemMessage } from '../api/problem';
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

export interface EmailChecker {
  /** Call on every keystroke; asks the server once typing pauses. */
  update(value: string): void;
  /** Cancels the pending timer and request. */
  dispose(): void;
}

/**
 * Debounced "is this email taken?": waits `delayMs` after the last change,
 * cancels the request in flight when the value changes, and never reports an
 * answer for a value that is no longer the current one.
 */
export function createEmailChecker(
  check: CheckEmailFn,
  onChange: (state: EmailCheckState) => void,
  delayMs = EMAIL_CHECK_DELAY_MS,
): EmailChecker {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let controller: AbortController | undefined;
  let generation = 0;

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
    } else {
      onChange({ kind: 'error', email, message: problemMessage(result.problem) });
    }
  }

  return {
    update(value: string) {
      cancel();
      const mine = ++generation;
      const email = value.trim();
      // A stale answer for the previous value must not linger while typing.
      onChange({ kind: 'idle' });
      if (!looksLikeEmail(email)) return;
      timer = setTimeout(() => {
        timer = undefined;
        void run(email, mine);
      }, delayMs);
    },
    dispose() {
      generation++;
      cancel();
    },
  };
}
