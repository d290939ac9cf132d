import type { Api, SessionInfo } from '../api/client';
import { problemMessage } from '../api/problem';

// The home page's "Active sessions" panel: GET /sessions, DELETE
// /sessions/{id} and DELETE /sessions (see "Active sessions" in API.md).

export interface SessionsState {
  /** The current session first, then the others newest first. */
  items: SessionInfo[];
  /** Whether a list has arrived. */
  loaded: boolean;
  loading: boolean;
  loadError: string | null;
  /** Ids of sessions being revoked. */
  pending: string[];
  /** "Log out other sessions" is in flight. */
  revokingOthers: boolean;
  actionError: string | null;
  /** A neutral note, e.g. that a session had already ended. */
  notice: string | null;
  /**
   * Bumped by every change made here, so that a list requested before it
   * cannot bring a revoked session back.
   */
  version: number;
}

export type SessionsAction =
  | { type: 'load-start' }
  | { type: 'loaded'; items: SessionInfo[]; version: number }
  | { type: 'load-failed'; message: string }
  | { type: 'revoke-start'; id: string }
  | { type: 'revoked'; id: string; notice?: string }
  | { type: 'revoke-failed'; id: string; message: string }
  | { type: 'others-start' }
  | { type: 'others-revoked' }
  | { type: 'others-failed'; message: string };

export const initialSessions: SessionsState = {
  items: [],
  loaded: false,
  loading: false,
  loadError: null,
  pending: [],
  revokingOthers: false,
  actionError: null,
  notice: null,
  version: 0,
};

/** The current session first; the others keep the server's order (newest first). */
export function orderSessions(items: readonly SessionInfo[]): SessionInfo[] {
  return [...items.filter((s) => s.current), ...items.filter((s) => !s.current)];
}

export function sessionsReducer(state: SessionsState, action: SessionsAction): SessionsState {
  switch (action.type) {
    case 'load-start':
      return { ...state, loading: true, loadError: null };
    case 'loaded':
      // A list asked for before a revoke finished is stale: keep ours.
      if (state.loaded && action.version !== state.version) return { ...state, loading: false };
      return { ...state, items: orderSessions(action.items), loaded: true, loading: false, loadError: null };
    case 'load-failed':
      return { ...state, loading: false, loadError: action.message };
    case 'revoke-start':
      if (state.pending.includes(action.id)) return state;
      return { ...state, pending: [...state.pending, action.id], actionError: null, notice: null };
    case 'revoked':
      return {
        ...state,
        items: state.items.filter((s) => s.id !== action.id),
        pending: state.pending.filter((id) => id !== action.id),
        notice: action.notice ?? null,
        version: state.version + 1,
      };
    case 'revoke-failed':
      return { ...state, pending: state.pending.filter((id) => id !== action.id), actionError: action.message };
    case 'others-start':
      if (state.revokingOthers) return state;
      return { ...state, revokingOthers: true, actionError: null, notice: null };
    case 'others-revoked':
      return {
        ...state,
        items: state.items.filter((s) => s.current),
        pending: state.pending.filter((id) => state.items.some((s) => s.id === id && s.current)),
        revokingOthers: false,
        version: state.version + 1,
      };
    case 'others-failed':
      return { ...state, revokingOthers: false, actionError: action.message };
    default:
      return state;
  }
}

export type SessionsApi = Pick<Api, 'sessions' | 'revokeSession' | 'revokeOtherSessions'>;

export interface SessionsCallbacks {
  /** A request answered 401: this session is gone (revoked elsewhere, expired). */
  onSessionEnded: () => void;
  /** The current session was revoked from the panel: that is a logout. */
  onLoggedOut: () => void;
}

export interface SessionsStore {
  getState(): SessionsState;
  subscribe(listener: () => void): () => void;
  /** (Re)loads the list; a load already in flight is not repeated. */
  load(): Promise<void>;
  revoke(session: SessionInfo): Promise<void>;
  revokeOthers(): Promise<void>;
  /** Stops reporting: later answers change nothing and call nobody. */
  dispose(): void;
}

export const ALREADY_ENDED = 'That session had already ended.';

/** The panel's state and its three requests, outside React so it can be unit-tested. */
export function createSessionsStore(api: SessionsApi, callbacks: SessionsCallbacks): SessionsStore {
  let state = initialSessions;
  let disposed = false;
  let controller: AbortController | undefined;
  const listeners = new Set<() => void>();

  function dispatch(action: SessionsAction) {
    if (disposed) return;
    const next = sessionsReducer(state, action);
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener();
  }

  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },

    async load() {
      if (disposed || state.loading) return;
      const version = state.version;
      controller = new AbortController();
      const { signal } = controller;
      dispatch({ type: 'load-start' });
      let result: Awaited<ReturnType<SessionsApi['sessions']>>;
      try {
        result = await api.sessions(signal);
      } catch {
        // Aborted by dispose().
        return;
      }
      if (disposed) return;
      if (result.ok) dispatch({ type: 'loaded', items: result.data.items, version });
      else if (result.problem.status === 401) callbacks.onSessionEnded();
      else dispatch({ type: 'load-failed', message: `Could not load your sessions. ${problemMessage(result.problem)}` });
    },

    async revoke(session) {
      if (disposed || state.pending.includes(session.id)) return;
      dispatch({ type: 'revoke-start', id: session.id });
      const result = await api.revokeSession(session.id);
      if (disposed) return;
      if (result.ok) {
        if (session.current) callbacks.onLoggedOut();
        else dispatch({ type: 'revoked', id: session.id });
      } else if (result.problem.status === 401) {
        callbacks.onSessionEnded();
      } else if (result.problem.status === 404) {
        // Expired or revoked elsewhere meanwhile: it is gone either way.
        dispatch({ type: 'revoked', id: session.id, notice: ALREADY_ENDED });
      } else {
        dispatch({
          type: 'revoke-failed',
          id: session.id,
          message: `Could not revoke that session. ${problemMessage(result.problem)}`,
        });
      }
    },

    async revokeOthers() {
      if (disposed || state.revokingOthers) return;
      dispatch({ type: 'others-start' });
      const result = await api.revokeOtherSessions();
      if (disposed) return;
      if (result.ok) dispatch({ type: 'others-revoked' });
      else if (result.problem.status === 401) callbacks.onSessionEnded();
      else
        dispatch({
          type: 'others-failed',
          message: `Could not log out your other sessions. ${problemMessage(result.problem)}`,
        });
    },

    dispose() {
      disposed = true;
      controller?.abort();
      listeners.clear();
    },
  };
}

// ---------- how a session reads ----------

const BROWSERS: ReadonlyArray<[RegExp, string]> = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bHeadlessChrome\//, 'Headless Chrome'],
  [/\bChromium\//, 'Chromium'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\/|\bAppleWebKit\/.*\bMobile\//, 'Safari'],
];

const SYSTEMS: ReadonlyArray<[RegExp, string]> = [
  [/\biPhone\b/, 'iPhone'],
  [/\biPad\b/, 'iPad'],
  [/\bAndroid\b/, 'Android'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMacintosh\b|\bMac OS X\b/, 'macOS'],
  [/\bLinux\b|\bX11\b/, 'Linux'],
];

/**
 * A short, readable summary of a User-Agent: "Chrome on Linux", "Safari on
 * iPhone", "curl", "Unknown device". The full string goes in a tooltip.
 */
export function describeUserAgent(userAgent: string): string {
  const ua = userAgent.trim();
  if (!ua) return 'Unknown device';
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (browser) return system ? `${browser} on ${system}` : browser;
  if (/^Mozilla\//.test(ua)) return system ? `Browser on ${system}` : 'Unknown browser';
  // A tool: its first product token ("curl/8.5.0" -> "curl").
  const product = /^[A-Za-z][\w.-]*/.exec(ua)?.[0];
  return product ? product.slice(0, 40) : 'Unknown device';
}

/** "just now" for the first seconds, else whatever `relative` says ("5 minutes ago"). */
export function agoText(iso: string, now: number, relative: (iso: string, now: number) => string): string {
  const then = Date.parse(iso);
  if (!Number.isNaN(then) && now - then < 10_000) return 'just now';
  return relative(iso, now);
}

export const REVOKE_CURRENT_LABEL = 'Revoke this session (logs you out)';

/**
 * Accessible names of the rows' revoke buttons, unique per row:
 * "Revoke session from Chrome on Linux 203.0.113.9", with the sign-in time
 * (or, failing that, a number) added when two rows would read the same.
 */
export function revokeLabels(items: readonly SessionInfo[], formatTime: (iso: string) => string): Map<string, string> {
  const labels = new Map<string, string>();
  const others = items.filter((s) => !s.current);
  const base = new Map(others.map((s) => [s.id, `Revoke session from ${describeUserAgent(s.user_agent)} ${s.ip}`.trim()]));
  const count = (values: Iterable<string>) => {
    const n = new Map<string, number>();
    for (const v of values) n.set(v, (n.get(v) ?? 0) + 1);
    return n;
  };
  const baseCount = count(base.values());
  const withTime = new Map(
    others.map((s) => {
      const label = base.get(s.id)!;
      return [s.id, baseCount.get(label)! > 1 ? `${label}, signed in ${formatTime(s.created_at)}` : label];
    }),
  );
  const timeCount = count(withTime.values());
  const seen = new Map<string, number>();
  for (const s of items) {
    if (s.current) {
      labels.set(s.id, REVOKE_CURRENT_LABEL);
      continue;
    }
    const label = withTime.get(s.id)!;
    if (timeCount.get(label)! > 1) {
      const n = (seen.get(label) ?? 0) + 1;
      seen.set(label, n);
      labels.set(s.id, `${label} (${n})`);
    } else {
      labels.set(s.id, label);
    }
  }
  return labels;
}
