import { useEffect, useState } from 'react';

// The mailed links carry their token in the fragment (`/verify-email#token=…`,
// `/reset-password#token=…`), which browsers never send to a server nor put
// in a Referer. The page reads it once and takes it out of the address bar.

/** The token of a link's fragment (`#token=…`), or null when it has none. */
export function tokenFromFragment(hash: string): string | null {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const token = params.get('token')?.trim();
  return token ? token : null;
}

/** The address without its fragment, for history.replaceState. */
export function withoutFragment(location: Pick<Location, 'pathname' | 'search'>): string {
  return location.pathname + location.search;
}

/**
 * The token of the link this page was opened with, read once; a link to the
 * same page followed from here (only the fragment changes) replaces it. The
 * fragment is then replaced in the current history entry, so that the token
 * stays neither in the address bar nor in the history (nor in a bookmark or
 * a shared screen); the router's state in that entry is kept.
 */
export function useLinkToken(): string | null {
  // Read while rendering (twice in StrictMode, both before the effect below).
  const [token, setToken] = useState(() => tokenFromFragment(window.location.hash));
  useEffect(() => {
    function take() {
      const found = tokenFromFragment(window.location.hash);
      if (found) setToken(found);
      if (window.location.hash) window.history.replaceState(window.history.state, '', withoutFragment(window.location));
    }
    take();
    window.addEventListener('hashchange', take);
    return () => window.removeEventListener('hashchange', take);
  }, []);
  return token;
}
