import createFetchClient, { type Middleware } from 'openapi-fetch';
import createQueryClient from 'openapi-react-query';
import type { components, paths } from './schema';
import { networkProblem, toProblem, type ApiProblem } from './problem';

export type User = components['schemas']['User'];
export type Status = components['schemas']['Status'];
export type StatusPage = components['schemas']['StatusPage'];
export type EmailAvailability = components['schemas']['EmailAvailability'];
export type SessionInfo = components['schemas']['SessionInfo'];
export type SessionList = components['schemas']['SessionList'];
export type SecurityEvent = components['schemas']['SecurityEvent'];
export type SecurityEventKind = components['schemas']['SecurityEventKind'];
export type SecurityEventPage = components['schemas']['SecurityEventPage'];

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === 'AbortError'
    : typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/**
 * What every failed call throws: the problem document with what only the
 * response knows (its status, Retry-After), which a parsed body alone lacks.
 */
export class ProblemError extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.title);
    this.name = 'ProblemError';
  }
}

/** The ApiProblem behind any error a call (or a query or mutation) ended with. */
export function toApiProblem(error: unknown): ApiProblem {
  return error instanceof ProblemError ? error.problem : networkProblem(error);
}

/** Whether the server said the session is gone (or never was). */
export function isUnauthorized(error: unknown): boolean {
  return error instanceof ProblemError && error.problem.status === 401;
}

/**
 * Turns every non-2xx answer and every network failure into a thrown
 * ProblemError, so that TanStack Query sees them as errors with the status
 * and Retry-After intact. Aborts stay aborts, for callers to ignore.
 */
const problemMiddleware: Middleware = {
  async onResponse({ response }) {
    if (response.ok) return undefined;
    const text = await response.clone().text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (a proxy's page, an empty body): toProblem copes.
    }
    throw new ProblemError(toProblem(response, body));
  },
  onError({ error }) {
    return isAbortError(error) ? undefined : new ProblemError(networkProblem(error));
  },
};

export interface ApiOptions {
  /** '' (the default) talks to the page's own origin. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
}

/** The typed fetch client (openapi-fetch) and its TanStack Query hooks (openapi-react-query). */
export function createApi({ baseUrl = '', fetch }: ApiOptions = {}) {
  const client = createFetchClient<paths>({
    baseUrl,
    // The session lives in an HttpOnly cookie; nothing is kept in JS storage.
    credentials: 'include',
    headers: { Accept: 'application/json' },
    ...(fetch ? { fetch } : {}),
  });
  client.use(problemMiddleware);
  return { client, queries: createQueryClient(client) };
}

/** The app's API: same origin (or VITE_API_BASE_URL at build time). */
export const { client: fetchClient, queries: $api } = createApi({ baseUrl: import.meta.env.VITE_API_BASE_URL ?? '' });

export type Result<T> = { ok: true; data: T } | { ok: false; problem: ApiProblem };

/** POST /checkemail as a Result, for the debounced checker; aborts are rethrown. */
export async function checkEmail(email: string, signal: AbortSignal): Promise<Result<EmailAvailability>> {
  try {
    const { data } = await fetchClient.POST('/checkemail', { body: { email }, signal });
    return { ok: true, data: data! };
  } catch (error) {
    if (isAbortError(error)) throw error;
    return { ok: false, problem: toApiProblem(error) };
  }
}
