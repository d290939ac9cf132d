import { expect, test } from '@playwright/test';
import { screenshotPath } from './support';

// The interactive API docs must work with no internet at all: every request
// the page makes goes to the server itself, or the test fails.
test('the API docs page renders offline', async ({ page, baseURL }) => {
  const own = new URL(baseURL ?? 'http://127.0.0.1:8080').origin;
  const foreign: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(own) || url.startsWith('data:')) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });

  await page.goto('/api-docs/');
  for (const path of ['/register', '/login', '/logout', '/checkemail', '/me', '/addStatus', '/fetchStatus']) {
    // A path may have several operations (GET and PATCH /me): one is enough here.
    await expect(page.locator('.opblock-summary-path', { hasText: new RegExp(`^${path}$`) }).first()).toBeVisible();
  }
  await page.screenshot({
    path: screenshotPath('api-docs.png'),
    fullPage: false,
  });
  expect(foreign, 'requests that left the server').toEqual([]);
  expect(cspViolations).toEqual([]);
});
