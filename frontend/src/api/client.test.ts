import { describe, expect, it, vi } from 'vitest';
import { QueryClient } from '@tanstack/react-query';
import { ProblemError, createApi, toApiProblem } from './client';

type Handler = (request: Request) => Response | Promise<Response>;

function setup(handler: Handler) {
  const requests: Request[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const request = input as Request;
    requests.push(request.clone());
    return handler(request);
  });
  const { client, queries } = createApi({ baseUrl: 'http://app.test', fetch: fetch as unknown as typeof globalThis.fetch });
  return { api: client, queries, requests, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const problem = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });

const user = { id: 7, email: 'ann@example.com', name: 'Ann', created_at: '2026-11-26T11:05:37Z', email_verified: true };

/** The problem a failed call threw. */
async function problemOf(call: Promise<unknown>) {
  const error = await call.then(
    () => expect.unreachable('the call should have failed'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProblemError);
  return toApiProblem(error);
}

describe('api client', () => {
  it('logs in with a JSON body and the cookie credentials', async () => {
    const { api, requests } = setup(() => json(200, user));
    const { data } = await api.POST('/login', { body: { email: 'ann@example.com', password: 'correct horse' } });
    expect(data).toEqual(user);
    const [req] = requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('http://app.test/login');
    expect(req!.credentials).toBe('include');
    expect(req!.headers.get('Content-Type')).toBe('application/json');
    expect(await req!.json()).toEqual({ email: 'ann@example.com', password: 'correct horse' });
  });

  it('throws a 401 problem as a ProblemError', async () => {
    const { api } = setup(() =>
      problem(401, { type: '/problems/invalid-credentials', title: 'Invalid email or password', status: 401 }),
    );
    const p = await problemOf(api.POST('/login', { body: { email: 'a@b.c', password: 'nope-nope' } }));
    expect(p.status).toBe(401);
    expect(p.type).toBe('/problems/invalid-credentials');
  });

  it('keeps field errors of a 422 and Retry-After of a 429', async () => {
    const { api } = setup((req) =>
      req.url.endsWith('/register')
        ? problem(422, { type: '/problems/validation', title: 'Invalid', status: 422, errors: { name: ['too long'] } })
        : problem(429, { type: '/problems/rate-limited', title: 'Slow down', status: 429 }, { 'Retry-After': '30' }),
    );
    const reg = await problemOf(api.POST('/register', { body: { email: 'a@b.c', password: 'x'.repeat(10), name: 'n'.repeat(65) } }));
    expect(reg.errors).toEqual({ name: ['too long'] });
    const check = await problemOf(api.POST('/checkemail', { body: { email: 'a@b.c' } }));
    expect(check.retryAfter).toBe(30);
  });

  it('reports a network failure as status 0', async () => {
    const { api } = setup(() => {
      throw new TypeError('Failed to fetch');
    });
    expect((await problemOf(api.GET('/me'))).status).toBe(0);
  });

  it('rethrows aborts so callers can ignore them', async () => {
    const { api } = setup(() => {
      throw new DOMException('The operation was aborted.', 'AbortError');
    });
    await expect(api.POST('/checkemail', { body: { email: 'a@b.c' } })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('logs out with no body and no content type, and accepts 204', async () => {
    const { api, requests } = setup(() => new Response(null, { status: 204 }));
    const { data, response } = await api.POST('/logout');
    expect([data, response.status]).toEqual([undefined, 204]);
    expect(requests[0]!.headers.get('Content-Type')).toBeNull();
    expect(await requests[0]!.text()).toBe('');
  });

  it('pages /fetchStatus with limit and before', async () => {
    const page = { items: [{ id: 5, text: 'hi', created_at: '2026-11-26T11:05:37Z' }], next_before: 5 };
    const { api, requests } = setup(() => json(200, page));
    expect((await api.GET('/fetchStatus', { params: { query: { limit: 20 } } })).data).toEqual(page);
    await api.GET('/fetchStatus', { params: { query: { limit: 20, before: 5 } } });
    expect(requests.map((r) => new URL(r.url).search)).toEqual(['?limit=20', '?limit=20&before=5']);
  });

  it('posts a status as sent', async () => {
    const { api, requests } = setup(() => json(201, { id: 1, text: '<b>hi</b> 👋', created_at: '2026-11-26T11:05:37Z' }));
    const { data } = await api.POST('/addStatus', { body: { text: '<b>hi</b> 👋' } });
    expect(data?.text).toBe('<b>hi</b> 👋');
    expect(await requests[0]!.json()).toEqual({ text: '<b>hi</b> 👋' });
  });
});

describe('api client: TanStack Query', () => {
  it('queries through the same client, failing with the problem', async () => {
    const { queries, requests } = setup((req) =>
      new URL(req.url).search
        ? json(200, { items: [], next_before: null })
        : problem(503, { type: '/problems/unavailable', title: 'Unavailable', status: 503 }, { 'Retry-After': '3' }),
    );
    const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const page = await queryClient.fetchQuery(queries.queryOptions('get', '/fetchStatus', { params: { query: { limit: 20 } } }));
    expect(page).toEqual({ items: [], next_before: null });
    const failed = await queryClient.fetchQuery(queries.queryOptions('get', '/me')).catch((e: unknown) => toApiProblem(e));
    expect(failed).toMatchObject({ status: 503, retryAfter: 3 });
    expect(requests.map((r) => r.credentials)).toEqual(['include', 'include']);
  });
});

describe('api client: active sessions', () => {
  const list = {
    items: [
      {
        id: 'a1b2c3d4e5f6a7b8c9d0',
        created_at: '2026-11-26T11:05:37Z',
        last_seen_at: '2026-11-26T11:06:00Z',
        ip: '203.0.113.9',
        user_agent: 'curl/8.5.0',
        current: true,
      },
    ],
  };

  it('lists sessions with the cookie', async () => {
    const { api, requests } = setup(() => json(200, list));
    expect((await api.GET('/sessions')).data).toEqual(list);
    expect(requests[0]!.method).toBe('GET');
    expect(requests[0]!.url).toBe('http://app.test/sessions');
    expect(requests[0]!.credentials).toBe('include');
  });

  it('revokes one session by its (escaped) id, with no body', async () => {
    const { api, requests } = setup(() => new Response(null, { status: 204 }));
    expect((await api.DELETE('/sessions/{id}', { params: { path: { id: 'abc/def?x=1#y' } } })).response.status).toBe(204);
    expect(requests[0]!.method).toBe('DELETE');
    expect(requests[0]!.url).toBe('http://app.test/sessions/abc%2Fdef%3Fx%3D1%23y');
    expect(requests[0]!.headers.get('Content-Type')).toBeNull();
    expect(await requests[0]!.text()).toBe('');
  });

  it('revokes the other sessions', async () => {
    const { api, requests } = setup(() => new Response(null, { status: 204 }));
    expect((await api.DELETE('/sessions')).response.ok).toBe(true);
    expect(requests[0]!.method).toBe('DELETE');
    expect(requests[0]!.url).toBe('http://app.test/sessions');
  });

  it('reports 404 and 403 problems', async () => {
    const { api } = setup((req) =>
      req.url.endsWith('/sessions')
        ? problem(403, { type: '/problems/forbidden-origin', title: 'Forbidden origin', status: 403 })
        : problem(404, { type: '/problems/not-found', title: 'Not found', status: 404 }),
    );
    const one = await problemOf(api.DELETE('/sessions/{id}', { params: { path: { id: 'nope-nope-nope-nope' } } }));
    expect(one.status).toBe(404);
    const others = await problemOf(api.DELETE('/sessions'));
    expect(others.type).toBe('/problems/forbidden-origin');
  });
});
