import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type User } from './api/client';
import { problemMessage } from './api/problem';
import { Spinner } from './components/Spinner';
import { navigate, usePath } from './lib/router';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';

type Session =
  | { state: 'loading' }
  | { state: 'anonymous'; notice?: string }
  | { state: 'authenticated'; user: User }
  | { state: 'unavailable'; message: string };

export function App() {
  const path = usePath();
  const [session, setSession] = useState<Session>({ state: 'loading' });

  const loadSession = useCallback(async () => {
    setSession({ state: 'loading' });
    const result = await api.me();
    if (result.ok) setSession({ state: 'authenticated', user: result.data });
    else if (result.problem.status === 401) setSession({ state: 'anonymous' });
    else setSession({ state: 'unavailable', message: problemMessage(result.problem) });
  }, []);

  useEffect(() => {
    void loadSession();
  }, [loadSession]);

  // "/home" needs a session; "/" (and anything unknown) with one goes home.
  const route = path === '/home' ? 'home' : 'login';
  useEffect(() => {
    if (session.state === 'authenticated' && path !== '/home') navigate('/home', { replace: true });
    else if (session.state === 'anonymous' && path !== '/') navigate('/', { replace: true });
  }, [session.state, path]);

  // After a client-side route change, move focus to the new page's heading.
  const lastRoute = useRef<string | null>(null);
  const shown = session.state === 'authenticated' && route === 'home' ? 'home' : session.state === 'anonymous' && route === 'login' ? 'login' : null;
  useEffect(() => {
    if (!shown) return;
    if (lastRoute.current && lastRoute.current !== shown) {
      document.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    lastRoute.current = shown;
  }, [shown]);

  const onAuthenticated = useCallback((user: User) => {
    setSession({ state: 'authenticated', user });
    navigate('/home');
  }, []);
  const onLoggedOut = useCallback(() => {
    setSession({ state: 'anonymous' });
    navigate('/');
  }, []);
  const onSessionEnded = useCallback(() => {
    setSession({ state: 'anonymous', notice: 'Your session has ended. Please log in again.' });
    navigate('/', { replace: true });
  }, []);

  if (session.state === 'unavailable') {
    return (
      <main id="main" className="center">
        <div className="card center-card" role="alert">
          <h1>Status is unavailable</h1>
          <p>{session.message}</p>
          <button type="button" className="button button--primary" onClick={() => void loadSession()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  if (shown === 'home' && session.state === 'authenticated') {
    return <HomePage key={session.user.id} user={session.user} onSessionEnded={onSessionEnded} onLoggedOut={onLoggedOut} />;
  }
  if (shown === 'login' && session.state === 'anonymous') {
    return <LoginPage onAuthenticated={onAuthenticated} notice={session.notice} />;
  }
  return (
    <main id="main" className="center" aria-busy="true">
      <p className="loading">
        <Spinner /> Loading…
      </p>
    </main>
  );
}
