import { QueryClient, QueryClientProvider, useQuery } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation, useOutletContext } from 'react-router';
import { toApiProblem, type User } from './api/client';
import { problemMessage } from './api/problem';
import { Spinner } from './components/Spinner';
import { HomePage } from './pages/HomePage';
import { LoginPage } from './pages/LoginPage';
import { ResetPasswordPage } from './pages/ResetPasswordPage';
import { SettingsPage } from './pages/SettingsPage';
import { VerifyEmailPage } from './pages/VerifyEmailPage';
import { meQuery, useSessionChanges, type LoginLocationState } from './queries/session';

/** No retries and no refetch on focus unless a query asks: errors show at once, as the pages expect. */
export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  });
}

const queryClient = createQueryClient();

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      {/* No transitions: a location change renders together with the cache
          change that goes with it (a 401 clears the user and leaves /home,
          with its notice, in one step). */}
      <BrowserRouter useTransitions={false}>
        <Routes>
          <Route element={<SessionGate />}>
            <Route index element={<LoginRoute />} />
            <Route path="home" element={<HomeRoute />} />
            <Route path="settings" element={<SettingsRoute />} />
            <Route path="verify-email" element={<VerifyEmailRoute />} />
            <Route path="reset-password" element={<ResetPasswordRoute />} />
            <Route path="*" element={<Navigate to="/" replace />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </QueryClientProvider>
  );
}

/** The logged-in user (null: nobody), for the routes below the gate. */
const useUser = () => useOutletContext<User | null>();

/** "/" is for visitors: with a session it goes home. */
function LoginRoute() {
  const user = useUser();
  const { state } = useLocation() as { state: LoginLocationState | null };
  const { loggedIn } = useSessionChanges();
  if (user) return <Navigate to="/home" replace />;
  return <LoginPage onAuthenticated={loggedIn} notice={state?.notice} />;
}

/** "/home" needs a session. */
function HomeRoute() {
  const user = useUser();
  const { loggedOut, sessionEnded } = useSessionChanges();
  if (!user) return <Navigate to="/" replace />;
  return <HomePage key={user.id} user={user} onSessionEnded={sessionEnded} onLoggedOut={loggedOut} />;
}

/** "/settings" needs a session. */
function SettingsRoute() {
  const user = useUser();
  const { loggedOut, sessionEnded, accountDeleted } = useSessionChanges();
  if (!user) return <Navigate to="/" replace />;
  return (
    <SettingsPage key={user.id} user={user} onSessionEnded={sessionEnded} onLoggedOut={loggedOut} onAccountDeleted={accountDeleted} />
  );
}

/** "/verify-email": a mailed link, which works with or without a session. */
function VerifyEmailRoute() {
  const { sessionEnded } = useSessionChanges();
  return <VerifyEmailPage user={useUser()} onSessionEnded={sessionEnded} />;
}

/** "/reset-password": a mailed link, which works with or without a session, and logs in. */
function ResetPasswordRoute() {
  const { passwordReset } = useSessionChanges();
  return <ResetPasswordPage onReset={passwordReset} />;
}

/** Asks who is logged in (GET /me) once, before any page is shown. */
function SessionGate() {
  const me = useQuery(meQuery);
  useFocusHeadingOnPageChange(me.data);

  if (me.data === undefined) {
    // Loading also while "Try again" asks once more.
    return me.isError && !me.isFetching ? <Unavailable error={me.error} onRetry={() => void me.refetch()} /> : <Loading />;
  }
  return <Outlet context={me.data} />;
}

function Loading() {
  return (
    <main id="main" className="center" aria-busy="true">
      <p className="loading">
        <Spinner /> Loading…
      </p>
    </main>
  );
}

function Unavailable({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <main id="main" className="center">
      <div className="card center-card" role="alert">
        <h1>Status is unavailable</h1>
        <p>{problemMessage(toApiProblem(error))}</p>
        <button type="button" className="button button--primary" onClick={onRetry}>
          Try again
        </button>
      </div>
    </main>
  );
}

/** The pages a mailed link opens, shown with or without a session. */
const LINK_PAGES = ['/verify-email', '/reset-password'];

/**
 * After a client-side change of page (not on the first one), moves focus to
 * the new page's heading, so that screen readers start there.
 */
function useFocusHeadingOnPageChange(user: User | null | undefined) {
  const { pathname } = useLocation();
  const signedInPage = pathname === '/home' || pathname === '/settings' ? pathname : null;
  const linkPage = user !== undefined && LINK_PAGES.includes(pathname) ? pathname : null;
  const shown = linkPage ?? (user && signedInPage ? signedInPage : user === null && pathname === '/' ? 'login' : null);
  const lastShown = useRef<string | null>(null);
  useEffect(() => {
    if (!shown) return;
    if (lastShown.current && lastShown.current !== shown) {
      document.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    lastShown.current = shown;
  }, [shown]);
}
