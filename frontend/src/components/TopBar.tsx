import { useState } from 'react';
import { NavLink } from 'react-router';
import { $api, isUnauthorized, toApiProblem, type User } from '../api/client';
import { problemMessage } from '../api/problem';

interface TopBarProps {
  user: User;
  onLoggedOut: () => void;
}

/**
 * The signed-in pages' header: where you are (Home, Settings), who you are
 * (the name from the cached GET /me, so a rename shows at once) and "Log out".
 */
export function TopBar({ user, onLoggedOut }: TopBarProps) {
  const logout = $api.useMutation('post', '/logout');
  const [logoutError, setLogoutError] = useState<string | null>(null);

  function logOut() {
    if (logout.isPending) return;
    setLogoutError(null);
    logout.mutate(
      {},
      {
        onSuccess: onLoggedOut,
        onError: (error) => {
          if (isUnauthorized(error)) onLoggedOut();
          else setLogoutError(`Could not log out. ${problemMessage(toApiProblem(error))}`);
        },
      },
    );
  }

  return (
    <header className="topbar">
      <div className="topbar-inner">
        <span className="brand">
          <span className="logo" aria-hidden="true" />
          Status
        </span>
        {/* NavLink marks the current page with aria-current="page". */}
        <nav className="topbar-nav" aria-label="Main">
          <NavLink to="/home" className="nav-link" end>
            Home
          </NavLink>
          <NavLink to="/settings" className="nav-link">
            Settings
          </NavLink>
        </nav>
        <span className="topbar-user" title={user.email}>
          <span className="sr-only">Logged in as </span>
          {user.name}
        </span>
        <button type="button" className="button button--ghost" onClick={logOut} aria-disabled={logout.isPending}>
          Log out
        </button>
      </div>
      {logoutError ? (
        <p className="form-error topbar-error" role="alert">
          {logoutError}
        </p>
      ) : null}
    </header>
  );
}
