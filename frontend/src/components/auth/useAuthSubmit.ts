import { useState } from 'react';
import { toApiProblem, type User } from '../../api/client';
import type { ApiProblem } from '../../api/problem';
import { useWhenReached } from '../../lib/hooks';
import { WAIT_OVER, type FormFailure } from '../../state/authForm';

/**
 * The part of a TanStack mutation that the forms use: POST /login or
 * /register (answering the user), or the settings' password forms.
 */
export interface AuthRequest<Body, Result = User> {
  mutate(variables: { body: Body }, callbacks: { onSuccess: (result: Result) => void; onError: (error: unknown) => void }): void;
  isPending: boolean;
}

interface AuthSubmitOptions<Body, Failure extends FormFailure, Result> {
  request: AuthRequest<Body, Result>;
  /** What the form shows for a failed request (see state/authForm.ts). */
  describeFailure: (problem: ApiProblem) => Failure;
  onSuccess: (result: Result) => void;
  /** Anything a form does besides showing the messages (clear a field, ...). */
  onFailure?: (failure: Failure) => void;
}

/**
 * Submitting the log-in or the register form (or one of the settings forms
 * that ask for the password): one request at a time; on
 * failure, form-level messages and the field errors of the problem. A "Try
 * again in 42 seconds" (429, or 503 with Retry-After) turns into "You can try
 * again now." once the wait is over.
 */
export function useAuthSubmit<Body, Failure extends FormFailure, Result = User>({
  request,
  describeFailure,
  onSuccess,
  onFailure,
}: AuthSubmitOptions<Body, Failure, Result>) {
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const [messages, setMessages] = useState<string[]>([]);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [note, setNote] = useState<string | null>(null);

  useWhenReached(retryAt, () => {
    setMessages([]);
    setRetryAt(null);
    setNote(WAIT_OVER);
  });

  function show(failure: Failure | null) {
    setProblem(failure?.problem ?? null);
    setMessages(failure?.messages ?? []);
    setRetryAt(failure?.retryAt ?? null);
    setNote(null);
  }

  return {
    busy: request.isPending,
    problem,
    messages,
    note,
    /** Takes back the server's message for a field once the user edits it. */
    clearFieldError(field: string) {
      if (!problem?.errors[field]) return;
      const { [field]: _edited, ...rest } = problem.errors;
      setProblem({ ...problem, errors: rest });
    },
    /** Shows nothing again (e.g. when the form is put away). */
    reset() {
      show(null);
    },
    submit(body: Body) {
      if (request.isPending) return;
      show(null);
      request.mutate(
        { body },
        {
          onSuccess,
          onError: (error) => {
            const failure = describeFailure(toApiProblem(error));
            show(failure);
            onFailure?.(failure);
          },
        },
      );
    },
  };
}
