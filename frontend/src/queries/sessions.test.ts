import { describe, expect, it, vi } from 'vitest';
import type { Result, SessionInfo, SessionList } from '../api/client';
import type { ApiProblem } from '../api/problem';
import {
  ALREADY_ENDED,
  REVOKE_CURRENT_LABEL,
  agoText,
  createSessionsStore,
  describeUserAgent,
  initialSessions,
  revokeLabels,
  sessionsReducer,
  type SessionsApi,
} from './sessions';

const UA = {
  chromeLinux:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  headless:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  safariIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  chromeIphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
  edgeWindows:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36',
  samsung:
    'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
  chromebook:
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
};

describe('describeUserAgent', () => {
  it('names the browser and the system', () => {
    expect(describeUserAgent(UA.chromeLinux)).toBe('Chrome on Linux');
    expect(describeUserAgent(UA.headless)).toBe('Headless Chrome on Linux');
    expect(describeUserAgent(UA.safariIphone)).toBe('Safari on iPhone');
    expect(describeUserAgent(UA.chromeIphone)).toBe('Chrome on iPhone');
    expect(describeUserAgent(UA.safariMac)).toBe('Safari on macOS');
    expect(describeUserAgent(UA.firefoxWindows)).toBe('Firefox on Windows');
    expect(describeUserAgent(UA.edgeWindows)).toBe('Edge on Windows');
    expect(describeUserAgent(UA.chromeAndroid)).toBe('Chrome on Android');
    expect(describeUserAgent(UA.samsung)).toBe('Samsung Internet on Android');
    expect(describeUserAgent(UA.chromebook)).toBe('Chrome on ChromeOS');
  });

  it('names tools by their product and copes with nothing', () => {
    expect(describeUserAgent('curl/8.5.0')).toBe('curl');
    expect(describeUserAgent('PostmanRuntime/7.39.0')).toBe('PostmanRuntime');
    expect(describeUserAgent('python-requests/2.32.3')).toBe('python-requests');
    expect(describeUserAgent('Mozilla/5.0 (X11; Linux x86_64) SomethingNew/1.0')).toBe('Browser on Linux');
    expect(describeUserAgent('Mozilla/5.0 (compatible)')).toBe('Unknown browser');
    expect(describeUserAgent('')).toBe('Unknown device');
    expect(describeUserAgent('   ')).toBe('Unknown device');
    expect(describeUserAgent('¿?')).toBe('Unknown device');
    expect(describeUserAgent('x'.repeat(256))).toHaveLength(40);
  });
});

describe('agoText', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');
  const relative = (iso: string) => `relative(${iso})`;
  it('says "just now" for the first seconds', () => {
    expect(agoText('2026-11-26T11:59:55Z', now, relative)).toBe('just now');
    expect(agoText('2026-11-26T12:00:30Z', now, relative)).toBe('just now'); // clock skew
    expect(agoText('2026-11-26T11:59:00Z', now, relative)).toBe('relative(2026-11-26T11:59:00Z)');
  });
});

let n = 0;
function session(overrides: Partial<SessionInfo> = {}): SessionInfo {
  n++;
  return {
    id: `session-id-${String(n).padStart(8, '0')}`,
    created_at: '2026-11-26T11:00:00Z',
    last_seen_at: '2026-11-26T11:30:00Z',
    ip: '203.0.113.9',
    user_agent: UA.chromeLinux,
    current: false,
    ...overrides,
  };
}

describe('revokeLabels', () => {
  const time = (iso: string) => iso.slice(11, 16);
  it('names each row by device and IP, and the current one as a logout', () => {
    const current = session({ current: true });
    const phone = session({ user_agent: UA.safariIphone, ip: '198.51.100.7' });
    const laptop = session({ user_agent: UA.firefoxWindows });
    const labels = revokeLabels([current, phone, laptop], time);
    expect(labels.get(current.id)).toBe(REVOKE_CURRENT_LABEL);
    expect(labels.get(phone.id)).toBe('Revoke session from Safari on iPhone 198.51.100.7');
    expect(labels.get(laptop.id)).toBe('Revoke session from Firefox on Windows 203.0.113.9');
  });

  it('keeps names unique when rows read the same', () => {
    const rows = [
      session({ current: true }),
      session({ created_at: '2026-11-26T10:00:00Z' }),
      session({ created_at: '2026-11-26T09:00:00Z' }),
      session({ created_at: '2026-11-26T09:00:00Z' }),
      session({ user_agent: UA.safariMac }),
    ];
    const labels = [...revokeLabels(rows, time).values()];
    expect(new Set(labels).size).toBe(rows.length);
    expect(labels).toEqual([
      REVOKE_CURRENT_LABEL,
      'Revoke session from Chrome on Linux 203.0.113.9, signed in 10:00',
      'Revoke session from Chrome on Linux 203.0.113.9, signed in 09:00 (1)',
      'Revoke session from Chrome on Linux 203.0.113.9, signed in 09:00 (2)',
      'Revoke session from Safari on macOS 203.0.113.9',
    ]);
  });
});

describe('sessionsReducer', () => {
  it('puts the current session first, the others in the server order', () => {
    const a = session();
    const b = session({ current: true });
    const c = session();
    const state = sessionsReducer(initialSessions, { type: 'loaded', items: [a, b, c], version: 0 });
    expect(state.items.map((s) => s.id)).toEqual([b.id, a.id, c.id]);
    expect(state).toMatchObject({ loaded: true, loading: false, loadError: null });
  });

  it('does not let a list asked for before a revoke bring the session back', () => {
    const me = session({ current: true });
    const other = session();
    let state = sessionsReducer(initialSessions, { type: 'loaded', items: [me, other], version: 0 });
    state = sessionsReducer(state, { type: 'load-start' });
    state = sessionsReducer(state, { type: 'revoke-start', id: other.id });
    state = sessionsReducer(state, { type: 'revoked', id: other.id });
    state = sessionsReducer(state, { type: 'loaded', items: [me, other], version: 0 });
    expect(state.items).toEqual([me]);
    expect(state.loading).toBe(false);
    // A list asked for afterwards is taken as it is.
    state = sessionsReducer(state, { type: 'loaded', items: [me, session()], version: state.version });
    expect(state.items).toHaveLength(2);
  });
});

// ---------- the store, against a fake API ----------

const ok = <T>(data: T, status = 200): Result<T> => ({ ok: true, status, data });
const fail = (status: number, extra: Partial<ApiProblem> = {}): Result<never> => ({
  ok: false,
  problem: { status, type: 'about:blank', title: `HTTP ${status}`, errors: {}, ...extra },
});
const unavailable = fail(503, { type: '/problems/unavailable', title: 'Service unavailable', retryAfter: 5 });

function setup(list: SessionInfo[]) {
  let items = [...list];
  const api = {
    sessions: vi.fn<SessionsApi['sessions']>(async () => ok<SessionList>({ items: [...items] })),
    revokeSession: vi.fn<SessionsApi['revokeSession']>(async (id) => {
      if (!items.some((s) => s.id === id)) return fail(404, { type: '/problems/not-found', title: 'Not found' });
      items = items.filter((s) => s.id !== id);
      return ok<undefined>(undefined, 204);
    }),
    revokeOtherSessions: vi.fn<SessionsApi['revokeOtherSessions']>(async () => {
      items = items.filter((s) => s.current);
      return ok<undefined>(undefined, 204);
    }),
  };
  const callbacks = { onSessionEnded: vi.fn(), onLoggedOut: vi.fn() };
  const store = createSessionsStore(api, callbacks);
  return {
    api,
    callbacks,
    store,
    setServer: (next: SessionInfo[]) => {
      items = next;
    },
  };
}

describe('createSessionsStore', () => {
  const me = session({ current: true, created_at: '2026-11-26T11:50:00Z' });
  const phone = session({ user_agent: UA.safariIphone });
  const laptop = session({ user_agent: UA.firefoxWindows });

  it('loads the list and notifies subscribers', async () => {
    const { store, api } = setup([phone, me, laptop]);
    const seen: boolean[] = [];
    store.subscribe(() => seen.push(store.getState().loading));
    const pending = store.load();
    expect(store.getState().loading).toBe(true);
    await pending;
    expect(api.sessions).toHaveBeenCalledTimes(1);
    expect(store.getState().items.map((s) => s.id)).toEqual([me.id, phone.id, laptop.id]);
    expect(seen).toEqual([true, false]);
  });

  it('revokes one other session and keeps the rest', async () => {
    const { store, api, callbacks } = setup([me, phone, laptop]);
    await store.load();
    const pending = store.revoke(phone);
    expect(store.getState().pending).toEqual([phone.id]);
    // A second click while it runs sends nothing more.
    await store.revoke(phone);
    await pending;
    expect(api.revokeSession).toHaveBeenCalledTimes(1);
    expect(api.revokeSession).toHaveBeenCalledWith(phone.id);
    expect(store.getState().items.map((s) => s.id)).toEqual([me.id, laptop.id]);
    expect(store.getState()).toMatchObject({ pending: [], actionError: null });
    expect(callbacks.onLoggedOut).not.toHaveBeenCalled();
    expect(callbacks.onSessionEnded).not.toHaveBeenCalled();
  });

  it('logs out when the current session is revoked', async () => {
    const { store, callbacks } = setup([me, phone]);
    await store.load();
    await store.revoke(me);
    expect(callbacks.onLoggedOut).toHaveBeenCalledTimes(1);
    expect(callbacks.onSessionEnded).not.toHaveBeenCalled();
  });

  it('"Log out other sessions" leaves only this one', async () => {
    const { store, api } = setup([me, phone, laptop]);
    await store.load();
    const pending = store.revokeOthers();
    expect(store.getState().revokingOthers).toBe(true);
    await pending;
    expect(api.revokeOtherSessions).toHaveBeenCalledTimes(1);
    expect(store.getState().items).toEqual([me]);
    expect(store.getState().revokingOthers).toBe(false);
    // The server agrees.
    await store.load();
    expect(store.getState().items).toEqual([me]);
  });

  it('treats a 404 as "already gone" and says so', async () => {
    const { store, setServer } = setup([me, phone]);
    await store.load();
    setServer([me]); // it expired meanwhile
    await store.revoke(phone);
    expect(store.getState().items).toEqual([me]);
    expect(store.getState().notice).toBe(ALREADY_ENDED);
    expect(store.getState().actionError).toBeNull();
  });

  it('shows errors instead of swallowing them', async () => {
    const { store, api } = setup([me, phone]);
    api.sessions.mockResolvedValueOnce(unavailable);
    await store.load();
    expect(store.getState()).toMatchObject({
      loaded: false,
      loading: false,
      loadError: 'Could not load your sessions. The service is temporarily unavailable. Try again in 5 seconds.',
    });
    // Try again works.
    await store.load();
    expect(store.getState()).toMatchObject({ loaded: true, loadError: null });

    api.revokeSession.mockResolvedValueOnce(unavailable);
    await store.revoke(phone);
    expect(store.getState().items).toHaveLength(2);
    expect(store.getState().pending).toEqual([]);
    expect(store.getState().actionError).toBe(
      'Could not revoke that session. The service is temporarily unavailable. Try again in 5 seconds.',
    );

    api.revokeOtherSessions.mockResolvedValueOnce(
      fail(403, { type: '/problems/forbidden-origin', title: 'Forbidden origin', detail: 'Cross-site request refused' }),
    );
    await store.revokeOthers();
    expect(store.getState().items).toHaveLength(2);
    expect(store.getState().actionError).toBe('Could not log out your other sessions. Cross-site request refused.');

    // A network failure too.
    api.revokeSession.mockResolvedValueOnce(fail(0, { type: 'network', detail: 'Could not reach the server.' }));
    await store.revoke(phone);
    expect(store.getState().actionError).toBe('Could not revoke that session. Could not reach the server.');

    // The next action clears the old error.
    await store.revoke(phone);
    expect(store.getState().actionError).toBeNull();
    expect(store.getState().items).toEqual([me]);
  });

  it('a 401 anywhere means this session has ended', async () => {
    for (const act of ['load', 'revoke', 'others'] as const) {
      const { store, api, callbacks } = setup([me, phone]);
      if (act !== 'load') await store.load();
      api.sessions.mockResolvedValueOnce(fail(401));
      api.revokeSession.mockResolvedValueOnce(fail(401));
      api.revokeOtherSessions.mockResolvedValueOnce(fail(401));
      if (act === 'load') await store.load();
      else if (act === 'revoke') await store.revoke(phone);
      else await store.revokeOthers();
      expect(callbacks.onSessionEnded, act).toHaveBeenCalledTimes(1);
      expect(callbacks.onLoggedOut).not.toHaveBeenCalled();
      expect(store.getState().actionError).toBeNull();
      expect(store.getState().loadError).toBeNull();
    }
  });

  it('does not start a second load while one is in flight', async () => {
    const { store, api } = setup([me]);
    await Promise.all([store.load(), store.load()]);
    expect(api.sessions).toHaveBeenCalledTimes(1);
  });

  it('after dispose, aborts the load and reports nothing', async () => {
    const { store, api, callbacks } = setup([me, phone]);
    let signal: AbortSignal | undefined;
    api.sessions.mockImplementationOnce(
      (s) =>
        new Promise((_, reject) => {
          signal = s;
          s?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        }),
    );
    const listener = vi.fn();
    store.subscribe(listener);
    const pending = store.load();
    listener.mockClear();
    store.dispose();
    await pending;
    expect(signal?.aborted).toBe(true);
    expect(listener).not.toHaveBeenCalled();

    api.revokeSession.mockResolvedValueOnce(fail(401));
    await store.revoke(phone);
    expect(callbacks.onSessionEnded).not.toHaveBeenCalled();
  });
});
