import { defineConfig } from 'vitest/config';
import type { ProxyOptions } from 'vite';

// The Rust API the dev server forwards to (`npm run dev`).
const target = process.env.API_URL || 'http://127.0.0.1:8080';
const targetOrigin = new URL(target).origin;

// Every API path of /work/shared/API.md. Anything else (/, /home, assets) is
// served by Vite itself, with its SPA fallback to index.html.
const apiPaths = [
  'register',
  'login',
  'logout',
  'checkemail',
  'me',
  'addStatus',
  'fetchStatus',
  'sessions',
  'email',
  'password',
  'healthz',
  'readyz',
  'api-docs',
];

const proxyRule: ProxyOptions = {
  target,
  changeOrigin: true,
  // The server rejects state-changing requests whose Origin is not its own:
  // present the browser's request as coming from the API's own origin.
  headers: { origin: targetOrigin },
  configure(proxy) {
    proxy.on('proxyReq', (proxyReq) => {
      if (proxyReq.getHeader('origin')) proxyReq.setHeader('origin', targetOrigin);
      proxyReq.removeHeader('referer');
    });
  },
};

export default defineConfig({
  // React 17+ automatic JSX runtime, without @vitejs/plugin-react.
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    host: process.env.VITE_HOST || '127.0.0.1',
    port: Number(process.env.VITE_PORT || 5173),
    strictPort: true,
    // The register form checks passwords against the server's own list.
    fs: { allow: ['.', '../src/domain/common_passwords.txt'] },
    proxy: {
      [`^/(${apiPaths.join('|')})(?:[/?]|$)`]: proxyRule,
    },
  },
  preview: {
    host: '127.0.0.1',
    proxy: {
      [`^/(${apiPaths.join('|')})(?:[/?]|$)`]: proxyRule,
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    rolldownOptions: {
      onwarn(warning, warn) {
        // React Router and TanStack Query mark modules "use client" for React
        // Server Components; in a client-only bundle it means nothing.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    reporters: ['default', './reporters/vitest-summary.ts'],
  },
});
