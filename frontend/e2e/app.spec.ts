import { expect, test } from '@playwright/test';
import { USER_AGENTS, newUser, registerViaApi, registerViaUi, screenshotPath, sessionsPanel, statusItems } from './support';

test('register, post, reload, load more, log out', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // The server's Content-Security-Policy must not block any part of the app.
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });

  const user = newUser();
  await registerViaUi(page, user);

  // Your information.
  await expect(page.getByRole('heading', { level: 1, name: user.name })).toBeVisible();
  await expect(page.getByText(user.email, { exact: true })).toBeVisible();
  await expect(page.getByText(/^Member since/)).toBeVisible();
  await expect(page.getByText('No statuses yet')).toBeVisible();

  // Post with the button; the live count is in code points.
  const composer = page.getByLabel('New status');
  const hello = 'Hello from the e2e test 👋';
  await composer.fill(hello);
  await expect(page.getByText(`${[...hello].length} / 500`)).toBeVisible();
  await page.getByRole('button', { name: 'Post' }).click();
  await expect(statusItems(page)).toHaveCount(1);
  await expect(statusItems(page).first()).toContainText(hello);
  await expect(composer).toHaveValue('');
  await expect(page.getByText('0 / 500')).toBeVisible();

  // Post markup with Ctrl+Enter: it is shown as text, nothing runs.
  const markup = '<img src=x onerror=alert(1)>';
  await composer.fill(markup);
  await composer.press('Control+Enter');
  await expect(statusItems(page)).toHaveCount(2);
  await expect(statusItems(page).first().locator('p')).toHaveText(markup);
  await expect(statusItems(page).nth(1)).toContainText(hello);
  await expect(page.locator('main img')).toHaveCount(0);
  await expect(statusItems(page).first().locator('time')).toHaveText(/now|seconds? ago/);

  // A reload keeps the session (GET /me) and both statuses, newest first.
  await page.reload();
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1, name: user.name })).toBeVisible();
  await expect(statusItems(page)).toHaveCount(2);
  await expect(statusItems(page).first().locator('p')).toHaveText(markup);
  await expect(statusItems(page).nth(1)).toContainText(hello);
  await expect(page.getByRole('button', { name: 'Load more', exact: true })).toHaveCount(0);

  // More than a page: 23 more through the API with the same cookie.
  for (let i = 1; i <= 23; i++) {
    const response = await page.request.post('/addStatus', { data: { text: `Bulk status ${i}` } });
    expect(response.status()).toBe(201);
  }
  await page.reload();
  await expect(statusItems(page)).toHaveCount(20);
  await expect(statusItems(page).first()).toContainText('Bulk status 23');
  const loadMore = page.getByRole('button', { name: 'Load more', exact: true });
  await expect(loadMore).toBeVisible();
  await loadMore.click();
  await expect(statusItems(page)).toHaveCount(25);
  await expect(statusItems(page).last()).toContainText(hello);
  await expect(loadMore).toHaveCount(0);
  // Focus moved to the first of the older statuses.
  await expect(statusItems(page).nth(20)).toBeFocused();

  // Log out: back to the login page, and /home is closed.
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('form', { name: 'Log in' })).toBeVisible();
  expect((await page.request.get('/me')).status()).toBe(401);
  await page.goto('/home');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('form', { name: 'Log in' })).toBeVisible();

  expect(dialogs).toEqual([]);
  expect(cspViolations).toEqual([]);
});

test('a wrong password shows a generic error; the right one logs in', async ({ page, request }) => {
  const user = newUser();
  await registerViaApi(request, user);

  await page.goto('/');
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email', { exact: true }).fill(user.email.toUpperCase());
  await form.getByLabel('Password', { exact: true }).fill(`${user.password}-wrong`);
  await form.getByRole('button', { name: 'Log in' }).click();
  await expect(form.getByRole('alert')).toHaveText('Invalid email or password');
  await expect(page).toHaveURL(/\/$/);

  // Keyboard only: focus is back in the password field; Enter submits.
  const password = form.getByLabel('Password', { exact: true });
  await expect(password).toBeFocused();
  await page.keyboard.type(user.password);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1, name: user.name })).toBeVisible();

  // With a live session, "/" goes to /home.
  await page.goto('/');
  await expect(page).toHaveURL(/\/home$/);
});

test('the register form says whether an email is taken as you type', async ({ page, request }) => {
  const taken = newUser();
  await registerViaApi(request, taken);

  await page.goto('/');
  const form = page.getByRole('form', { name: 'Register' });
  const email = form.getByLabel('Email', { exact: true });
  await email.pressSequentially(taken.email, { delay: 10 });
  await expect(form.getByText(/^Taken/)).toBeVisible();

  const fresh = newUser();
  await email.fill(fresh.email);
  await expect(form.getByText('Available', { exact: true })).toBeVisible();

  // Submitting a taken email shows the server's error next to the field.
  await email.fill(taken.email);
  await form.getByLabel('Name', { exact: true }).fill('Someone Else');
  await form.getByLabel('Password', { exact: true }).fill(fresh.password);
  await form.getByRole('button', { name: 'Register' }).click();
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/$/);

  // A common password is flagged as it is typed (the server refuses it too).
  const rule = form.getByRole('listitem').filter({ hasText: 'Not a common password' });
  await form.getByLabel('Password', { exact: true }).fill('Password1');
  await expect(rule).toHaveClass(/rule--unmet/);
  await form.getByLabel('Password', { exact: true }).fill(fresh.password);
  await expect(rule).toHaveClass(/rule--met/);

  // Validation errors from the problem JSON appear next to their fields.
  await email.fill(fresh.email);
  await form.getByLabel('Name', { exact: true }).fill('');
  await form.getByLabel('Password', { exact: true }).fill('short');
  await form.getByRole('button', { name: 'Register' }).click();
  await expect(form.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByLabel('Password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/$/);
});

test('screenshots of the login and home pages, and phone width', async ({ page, playwright, baseURL }) => {
  await page.goto('/');
  await expect(page.getByRole('form', { name: 'Register' })).toBeVisible();
  await page.screenshot({ path: screenshotPath('login.png') });

  const user = newUser('Ada Lovelace', 'ada');
  const response = await page.request.post('/register', { data: user });
  expect(response.status()).toBe(201);
  for (const text of [
    'Reading through the notes on the Analytical Engine again. Still surprising.',
    'Lunch by the river, then back to the garden.',
    'Shipped the status page today!\nSmall things, done well.',
  ]) {
    expect((await page.request.post('/addStatus', { data: { text } })).status()).toBe(201);
  }
  // A second session, from a phone, for the "Active sessions" panel.
  const phone = await playwright.request.newContext({ baseURL, userAgent: USER_AGENTS.iphone });
  expect((await phone.post('/login', { data: { email: user.email, password: user.password } })).status()).toBe(200);
  await phone.dispose();
  await page.goto('/home');
  await expect(statusItems(page)).toHaveCount(3);
  await expect(sessionsPanel(page).getByRole('listitem')).toHaveCount(2);
  await page.getByLabel('New status').fill('Trying out the new composer');
  await page.getByLabel('New status').blur();
  await page.screenshot({ path: screenshotPath('home.png') });

  // Phone width: nothing overflows sideways, on any page.
  const overflow = () =>
    page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('form', { name: 'Change name' })).toBeVisible();
  expect(await overflow()).toBeLessThanOrEqual(0);
  await page.getByRole('button', { name: 'Log out', exact: true }).click();
  await expect(page.getByRole('form', { name: 'Log in' })).toBeVisible();
  expect(await overflow()).toBeLessThanOrEqual(0);
});
