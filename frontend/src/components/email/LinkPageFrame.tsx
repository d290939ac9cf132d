import type { ReactNode } from 'react';

/**
 * The pages a mailed link opens (/verify-email, /reset-password), with or
 * without a session: the brand, the page's heading (focused after a
 * client-side change of page) and one card.
 */
export function LinkPageFrame({ title, children }: { title: string; children: ReactNode }) {
  return (
    <main id="main" className="auth">
      <header className="auth-intro">
        <p className="brand brand--large">
          <span className="logo" aria-hidden="true" />
          Status
        </p>
      </header>
      <section className="card link-card" aria-labelledby="link-page-title">
        <h1 id="link-page-title" tabIndex={-1} data-autofocus>
          {title}
        </h1>
        {children}
      </section>
    </main>
  );
}
