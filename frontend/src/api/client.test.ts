import { describe, expect, it, vi } from 'vitest';
import { createApi } from './client';

type Handler = (request: Request) => Response | Promise<Response>;

function setup(handler: Handler) {
  const requests: Request[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL) => {
    const request = input as Request;
    requests.push(request.clone());
    return handler(request);
  });
  const api = createApi({ baseUrl: 'http://app.test', fetch: fetch as unknown as typeof globalThis.fetch });
  return { api, requests, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
const problem = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/problem+json', ...headers } });

const user = { id: 7, email: 'ann@example.com', name: 'Ann', created_at: '2026-11-26T11:05:37Z' };

describe('api client', () => {
  it('logs in with a JSON body and the cookie credentials', async () => {
    const { api, requests } = setup(() => json(200, user));
    const result = await api.login({ email: 'ann@example.com', password: 'correct horse' });
    expect(result).toEqual({ ok: true, status: 200, data: user });
    const [req] = requests;
    expect(req!.method).toBe('POST');
    expect(req!.url).toBe('http://app.test/login');
    expect(req!.credentials).toBe('include');
    expect(req!.headers.get('Content-Type')).toBe('application/json');
    expect(await req!.json()).toEqual({ email: 'ann@example.com', password: 'correct horse' });
  });

  it('turns a 401 problem into a failed result', async () => {
    const { api } = setup(() =>
      problem(401, { type: '/problems/invalid-credentials', title: 'Invalid email or password', status: 401 }),
    );
    const result = await api.login({ email: 'a@b.c', password: 'nope-nope' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problem.status).toBe(401);
      expect(result.problem.type).toBe('/problems/invalid-credentials');
    }
  });

  it('keeps field errors of a 422 and Retry-After of a 429', async () => {
    const { api } = setup((req) =>
      req.url.endsWith('/register')
        ? problem(422, { type: '/problems/validation', title: 'Invalid', status: 422, errors: { name: ['too long'] } })
        : problem(429, { type: '/problems/rate-limited', title: 'Slow down', status: 429 }, { 'Retry-After': '30' }),
    );
    const reg = await api.register({ email: 'a@b.c', password: 'x'.repeat(10), name: 'n'.repeat(65) });
    expect(!reg.ok && reg.problem.errors).toEqual({ name: ['too long'] });
    const check = await api.checkEmail('a@b.c');
    expect(!check.ok && check.problem.retryAfter).toBe(30);
  });

  it('reports a network failure as status 0 instead of throwing', async () => {
    const { api } = setup(() => {
      throw new TypeError('Failed to fetch');
    });
    const result = await api.me();
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem.status).toBe(0);
  });

  it('rethrows aborts so callers can ignore them', async () => {
    const { api } = setup(() => {
      throw new DOMException('The operation was aborted.', 'AbortError');
    });
    await expect(api.checkEmail('a@b.c', new AbortController().signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('logs out with no body and no content type, and accepts 204', async () => {
    const { api, requests } = setup(() => new Response(null, { status: 204 }));
    const result = await api.logout();
    expect(result).toEqual({ ok: true, status: 204, data: undefined });
    expect(requests[0]!.headers.get('Content-Type')).toBeNull();
    expect(await requests[0]!.text()).toBe('');
  });

  it('pages /fetchStatus with limit and before', async () => {
    const page = { items: [{ id: 5, text: 'hi', created_at: '2026-11-26T11:05:37Z' }], next_before: 5 };
    const { api, requests } = setup(() => json(200, page));
    expect(await api.fetchStatus({ limit: 20 })).toEqual({ ok: true, status: 200, data: page });
    await api.fetchStatus({ limit: 20, before: 5 });
    expect(requests.map((r) => new URL(r.url).search)).toEqual(['?limit=20', '?limit=20&before=5']);
  });

  it('posts a status as sent', async () => {
    const { api, requests } = setup(() => json(201, { id: 1, text: '<b>hi</b> 👋', created_at: '2026-11-26T11:05:37Z' }));
    const result = await api.addStatus('<b>hi</b> 👋');
    expect(result.ok && result.data.text).toBe('<b>hi</b> 👋');
    expect(await requests[0]!.json()).toEqual({ text: '<b>hi</b> 👋' });
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
    expect(await api.sessions()).toEqual({ ok: true, status: 200, data: list });
    expect(requests[0]!.method).toBe('GET');
    expect(requests[0]!.url).toBe('http://app.test/sessions');
    expect(requests[0]!.credentials).toBe('include');
  });

  it('revokes one session by its (escaped) id, with no body', async () => {
    const { api, requests } = setup(() => new Response(null, { status: 204 }));
    expect(await api.revokeSession('abc/def?x=1#y')).toEqual({ ok: true, status: 204, data: undefined });
    expect(requests[0]!.method).toBe('DELETE');
    expect(requests[0]!.url).toBe('http://app.test/sessions/abc%2Fdef%3Fx%3D1%23y');
    expect(requests[0]!.headers.get('Content-Type')).toBeNull();
    expect(await requests[0]!.text()).toBe('');
  });

  it('revokes the other sessions', async () => {
    const { api, requests } = setup(() => new Response(null, { status: 204 }));
    expect((await api.revokeOtherSessions()).ok).toBe(true);
    expect(requests[0]!.method).toBe('DELETE');
    expect(requests[0]!.url).toBe('http://app.test/sessions');
  });

  it('reports 404 and 403 problems', async () => {
    const { api } = setup((req) =>
      req.url.endsWith('/sessions')
        ? problem(403, { type: '/problems/forbidden-origin', title: 'Forbidden origin', status: 403 })
        : problem(404, { type: '/problems/not-found', title: 'Not found', status: 404 }),
    );
    const one = await api.revokeSession('nope-nope-nope-nope');
    expect(!one.ok && one.problem.status).toBe(404);
    const others = await api.revokeOtherSessions();
    expect(!others.ok && others.problem.type).toBe('/problems/forbidden-origin');
  });
});
