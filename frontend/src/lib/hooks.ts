import { useEffect, useRef, useState } from 'react';
import { checkEmail } from '../api/client';
import { createEmailChecker, type EmailCheckState } from '../state/emailCheck';

/** The current time, refreshed every `intervalMs` (for relative times). */
export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(id);
  }, [intervalMs]);
  return now;
}

/** Debounced POST /checkemail for a value as it is typed. */
export function useEmailCheck(value: string): [EmailCheckState, (state: EmailCheckState) => void] {
  const [state, setState] = useState<EmailCheckState>({ kind: 'idle' });
  const checker = useRef<ReturnType<typeof createEmailChecker> | null>(null);

  useEffect(() => {
    const instance = createEmailChecker(checkEmail, setState);
    checker.current = instance;
    return () => {
      instance.dispose();
      checker.current = null;
    };
  }, []);

  const first = useRef(true);
  useEffect(() => {
    // No check for the initial (empty) value.
    if (first.current) {
      first.current = false;
      if (!value) return;
    }
    checker.current?.update(value);
  }, [value]);

  return [state, setState];
}

/**
 * Calls `onReached` once the time `at` (epoch ms) has come; nothing while
 * `at` is null. A new `at` replaces the pending one.
 */
export function useWhenReached(at: number | null, onReached: () => void): void {
  const callback = useRef(onReached);
  callback.current = onReached;
  useEffect(() => {
    if (at === null) return;
    const id = setTimeout(() => callback.current(), Math.max(0, at - Date.now()));
    return () => clearTimeout(id);
  }, [at]);
}

/** Sets document.title while mounted. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title;
  }, [title]);
}
