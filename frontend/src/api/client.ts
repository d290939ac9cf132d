import createClient from 'openapi-fetch';
import type { components, paths } from './schema';
import { networkProblem, toProblem, type ApiProblem } from './problem';

export type User = components['schemas']['User'];
export type Status = components['schemas']['Status'];
export type StatusPage = components['schemas']['StatusPage'];
export type EmailAvailability = components['schemas']['EmailAvailability'];
export type Problem = components['schemas']['Problem'];
export type SessionInfo = components['schemas']['SessionInfo'];
export type SessionList = components['schemas']['SessionList'];

type JsonBody<P extends keyof paths, M extends 'post'> = paths[P][M] extends {
  requestBody: { content: { 'application/json': infer B } };
}
  ? B
  : never;

export type RegisterBody = JsonBody<'/register', 'post'>;
export type LoginBody = JsonBody<'/login', 'post'>;
export type FetchStatusQuery = NonNullable<paths['/fetchStatus']['get']['parameters']['query']>;

export type Result<T> = { ok: true; status: number; data: T } | { ok: false; problem: ApiProblem };

interface FetchOutcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof DOMException
    ? error.name === 'AbortError'
    : typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';
}

/** Turns openapi-fetch's outcome into a Result; aborts are rethrown. */
async function settle<T>(pending: Promise<FetchOutcome<T>>): Promise<Result<T>> {
  let outcome: FetchOutcome<T>;
  try {
    outcome = await pending;
  } catch (error) {
    if (isAbortError(error)) throw error;
    return { ok: false, problem: networkProblem(error) };
  }
  const { response } = outcome;
  if (response.ok) return { ok: true, status: response.status, data: outcome.data as T };
  return { ok: false, problem: toProblem(response, outcome.error) };
}

export interface ApiOptions {
  /** '' (the default) talks to the page's own origin. */
  baseUrl?: string;
  fetch?: typeof globalThis.fetch;
}

export function createApi({ baseUrl = '', fetch }: ApiOptions = {}) {
  const client = createClient<paths>({
    baseUrl,
    // The session lives in an HttpOnly cookie; nothing is kept in JS storage.
    credentials: 'include',
    headers: { Accept: 'application/json' },
    ...(fetch ? { fetch } : {}),
  });

  return {
    me: (signal?: AbortSignal) => settle(client.GET('/me', { signal })),
    register: (body: RegisterBody) => settle(client.POST('/register', { body })),
    login: (body: LoginBody) => settle(client.POST('/login', { body })),
    logout: () => settle(client.POST('/logout')),
    checkEmail: (email: string, signal?: AbortSignal) =>
      settle(client.POST('/checkemail', { body: { email }, signal })),
    addStatus: (text: string) => settle(client.POST('/addStatus', { body: { text } })),
    fetchStatus: (query: FetchStatusQuery, signal?: AbortSignal) =>
      settle(client.GET('/fetchStatus', { params: { query }, signal })),
    /** The caller's live sessions, newest first; `current` marks this one. */
    sessions: (signal?: AbortSignal) => settle(client.GET('/sessions', { signal })),
    /** Ends one session at once; ending the current one is a logout (the cookie is expired). */
    revokeSession: (id: string) => settle(client.DELETE('/sessions/{id}', { params: { path: { id } } })),
    /** Ends every session of the caller's but the current one. */
    revokeOtherSessions: () => settle(client.DELETE('/sessions')),
  };
}

export type Api = ReturnType<typeof createApi>;

/** The app's client: same origin (or VITE_API_BASE_URL at build time). */
export const api: Api = createApi({ baseUrl: import.meta.env.VITE_API_BASE_URL ?? '' });
