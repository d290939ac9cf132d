import { expect, test, type Browser, type BrowserContextOptions, type Page } from '@playwright/test';
import { USER_AGENTS, activityPanel, loginViaUi, newUser, registerViaApi, registerViaUi, sessionsPanel, type TestUser } from './support';

/** A user registered through the API, whose registration session is then ended. */
async function accountWithoutSessions(browser: Browser): Promise<TestUser> {
  const user = newUser();
  const context = await browser.newContext();
  await registerViaApi(context.request, user);
  expect((await context.request.post('/logout')).status()).toBe(204);
  await context.close();
  return user;
}

/** A browser of its own (own cookies), logged in as `user` at /home. */
async function device(browser: Browser, user: TestUser, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  await loginViaUi(page, user);
  return page;
}

async function expectLoggedOut(page: Page) {
  await page.goto('/home');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('form', { name: 'Log in' })).toBeVisible();
  expect((await page.request.get('/me')).status()).toBe(401);
}

test('"Log out other sessions" ends the session of the other browser', async ({ browser }) => {
  const user = await accountWithoutSessions(browser);
  const a = await device(browser, user);
  const b = await device(browser, user);

  await a.reload();
  const panel = sessionsPanel(a);
  await expect(panel.getByRole('heading', { name: 'Active sessions' })).toBeVisible();
  await expect(panel.getByRole('listitem')).toHaveCount(2);
  await expect(panel.getByText('This device', { exact: true })).toHaveCount(1);
  // The other row reads as a device, an IP and two times.
  const other = panel.getByRole('listitem').nth(1);
  await expect(other).toContainText(/signed in (just now|\d+ seconds? ago)/);
  await expect(other).toContainText(/last active /);
  await expect(other).toContainText('127.0.0.1');
  await expect(panel.getByRole('button', { name: /^Revoke session from / })).toHaveCount(1);

  await panel.getByRole('button', { name: 'Log out other sessions', exact: true }).click();
  await expect(panel.getByRole('listitem')).toHaveCount(1);
  await expect(panel.getByText('This device', { exact: true })).toHaveCount(1);
  await expect(panel.getByRole('button', { name: 'Log out other sessions', exact: true })).toHaveCount(0);
  await expect(panel.getByText('This is your only session.')).toBeVisible();
  // Ending a session is a security event: the activity panel asks again and shows it.
  await expect(activityPanel(a).getByRole('listitem').first()).toContainText('Session revoked');

  // B's next navigation finds its session dead.
  await expectLoggedOut(b);

  // A is still logged in, and the server agrees there is one session.
  await a.reload();
  await expect(a).toHaveURL(/\/home$/);
  await expect(sessionsPanel(a).getByRole('listitem')).toHaveCount(1);
  await a.context().close();
  await b.context().close();
});

test('revoking one row ends that session only; revoking this device logs out', async ({ browser }) => {
  const user = await accountWithoutSessions(browser);
  const a = await device(browser, user);
  const phone = await device(browser, user, { userAgent: USER_AGENTS.iphone });
  const laptop = await device(browser, user, { userAgent: USER_AGENTS.firefoxWindows });

  await a.reload();
  const panel = sessionsPanel(a);
  await expect(panel.getByRole('listitem')).toHaveCount(3);
  await expect(panel.getByRole('listitem').first()).toContainText('This device');
  // Readable devices, with the full user agent in a tooltip.
  await expect(panel.getByText('Safari on iPhone', { exact: true })).toHaveAttribute('title', USER_AGENTS.iphone);
  await expect(panel.getByText('Firefox on Windows', { exact: true })).toBeVisible();

  await panel.getByRole('button', { name: 'Revoke session from Safari on iPhone 127.0.0.1', exact: true }).click();
  await expect(panel.getByRole('listitem')).toHaveCount(2);
  await expect(panel.getByText('Safari on iPhone')).toHaveCount(0);
  // Focus stays in the panel; the change is announced.
  await expect(panel.getByRole('heading', { name: 'Active sessions' })).toBeFocused();
  await expect(panel.getByRole('status')).toHaveText('Session revoked.');

  await expectLoggedOut(phone);
  await laptop.reload();
  await expect(laptop).toHaveURL(/\/home$/);

  // The current session's own button is a logout.
  await panel.getByRole('button', { name: 'Revoke this session (logs you out)', exact: true }).click();
  await expect(a).toHaveURL(/\/$/);
  await expect(a.getByRole('form', { name: 'Log in' })).toBeVisible();
  expect((await a.request.get('/me')).status()).toBe(401);

  // The laptop was not touched.
  await laptop.reload();
  await expect(laptop).toHaveURL(/\/home$/);
  await expect(sessionsPanel(laptop).getByRole('listitem')).toHaveCount(1);
  for (const page of [a, phone, laptop]) await page.context().close();
});

test('revoking the only session from the panel returns to the login page', async ({ page }) => {
  await registerViaUi(page, newUser());
  const panel = sessionsPanel(page);
  await expect(panel.getByRole('listitem')).toHaveCount(1);
  await panel.getByRole('button', { name: 'Revoke this session (logs you out)', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('form', { name: 'Log in' })).toBeVisible();
  await expectLoggedOut(page);
});

test('a session revoked elsewhere sends this tab back to the login page', async ({ browser }) => {
  const user = await accountWithoutSessions(browser);
  const a = await device(browser, user);
  const b = await device(browser, user);
  expect((await a.request.delete('/sessions')).status()).toBe(204);
  // B's next request (here: posting) answers 401: back to "/" with a notice.
  await b.getByLabel('New status').fill('Still here?');
  await b.getByRole('button', { name: 'Post' }).click();
  await expect(b).toHaveURL(/\/$/);
  await expect(b.getByText('Your session has ended. Please log in again.')).toBeVisible();
  await a.context().close();
  await b.context().close();
});

test('errors of the panel are shown, and "Try again" recovers (mocked 503)', async ({ page }) => {
  await page.route('**/sessions', (route) =>
    route.request().method() === 'GET'
      ? route.fulfill({
          status: 503,
          headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '3' },
          body: JSON.stringify({ type: '/problems/unavailable', title: 'Service unavailable', status: 503 }),
        })
      : route.continue(),
  );
  await registerViaUi(page, newUser());
  const panel = sessionsPanel(page);
  await expect(panel.getByRole('alert')).toContainText(
    'Could not load your sessions. The service is temporarily unavailable. Try again in 3 seconds.',
  );
  await page.unroute('**/sessions');
  await panel.getByRole('button', { name: 'Try again' }).click();
  await expect(panel.getByRole('listitem')).toHaveCount(1);
  await expect(panel.getByRole('alert')).toHaveCount(0);

  // A failed revoke keeps the row and says why.
  await page.route('**/sessions/*', (route) =>
    route.fulfill({
      status: 403,
      headers: { 'Content-Type': 'application/problem+json' },
      body: JSON.stringify({
        type: '/problems/forbidden-origin',
        title: 'Forbidden origin',
        status: 403,
        detail: 'Cross-site request refused',
      }),
    }),
  );
  await panel.getByRole('button', { name: 'Revoke this session (logs you out)', exact: true }).click();
  await expect(panel.getByRole('alert')).toHaveText('Could not revoke that session. Cross-site request refused.');
  await expect(page).toHaveURL(/\/home$/);
  await expect(panel.getByRole('listitem')).toHaveCount(1);
});
