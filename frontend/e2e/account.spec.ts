import { expect, test } from '@playwright/test';
import { activityPanel, loginViaUi, newUser, registerViaApi, registerViaUi, screenshotPath, sessionsPanel, statusItems } from './support';

test('renaming on the settings page shows the new name on every page', async ({ page }) => {
  const user = newUser('Ada');
  await registerViaUi(page, user);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page).toHaveURL(/\/settings$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeFocused();
  await expect(page.getByRole('link', { name: 'Settings' })).toHaveAttribute('aria-current', 'page');

  const form = page.getByRole('form', { name: 'Change name' });
  const name = form.getByLabel('Name', { exact: true });
  await expect(name).toHaveValue('Ada');

  // The rules are checked before sending: nothing goes out for a blank name.
  let patches = 0;
  page.on('request', (request) => {
    if (request.method() === 'PATCH' && new URL(request.url()).pathname === '/me') patches++;
  });
  await name.fill('   ');
  await form.getByRole('button', { name: 'Save name' }).click();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(form.getByText('Must not be empty.')).toBeVisible();
  await expect(name).toBeFocused();
  expect(patches).toBe(0);

  await name.fill('  Ada Lovelace ');
  await form.getByRole('button', { name: 'Save name' }).click();
  await expect(form.getByRole('status')).toHaveText('Saved. Your name is now Ada Lovelace.');
  await expect(name).toHaveValue('Ada Lovelace');
  expect(patches).toBe(1);
  // The header already has it, before any reload.
  await expect(page.getByRole('banner')).toContainText('Ada Lovelace');
  await page.screenshot({ path: screenshotPath('settings.png') });

  await page.getByRole('link', { name: 'Home' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Ada Lovelace' })).toBeVisible();

  // The server has it too: a reload asks GET /me afresh.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Ada Lovelace' })).toBeVisible();
});

test("the settings page shows the server's 422 next to the field", async ({ page }) => {
  await registerViaUi(page, newUser());
  await page.goto('/settings');
  // A rule the client does not check (the server may add some): its own words are shown.
  await page.route('**/me', (route) =>
    route.request().method() === 'PATCH'
      ? route.fulfill({
          status: 422,
          contentType: 'application/problem+json',
          body: JSON.stringify({ type: '/problems/validation', title: 'Invalid fields', status: 422, errors: { name: ['must not be a reserved name'] } }),
        })
      : route.fallback(),
  );
  const form = page.getByRole('form', { name: 'Change name' });
  await form.getByLabel('Name', { exact: true }).fill('admin');
  await form.getByRole('button', { name: 'Save name' }).click();
  await expect(form.getByText('must not be a reserved name')).toBeVisible();
  await expect(form.getByLabel('Name', { exact: true })).toHaveAttribute('aria-invalid', 'true');
});

test('/settings needs a session', async ({ page }) => {
  await page.goto('/settings');
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('form', { name: 'Log in' })).toBeVisible();
});

test('deleting a status asks first, then removes it; one already gone is said so', async ({ page }) => {
  await registerViaUi(page, newUser());
  for (const text of ['First of three', 'Second of three', 'Third of three']) {
    expect((await page.request.post('/addStatus', { data: { text } })).status()).toBe(201);
  }
  await page.reload();
  await expect(statusItems(page)).toHaveCount(3);

  // Cancel first: nothing is sent, focus returns to the button.
  const deleteSecond = page.getByRole('button', { name: 'Delete status: Second of three', exact: true });
  await deleteSecond.click();
  const confirm = page.getByRole('group', { name: 'Delete this status?' });
  await expect(confirm.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(confirm).toHaveCount(0);
  await expect(deleteSecond).toBeFocused();
  await expect(statusItems(page)).toHaveCount(3);

  // Then for real.
  await deleteSecond.click();
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(statusItems(page)).toHaveCount(2);
  await expect(page.getByText('Second of three')).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Your statuses' }).getByRole('status')).toHaveText('Status deleted.');
  // Focus moved to the status that took its place.
  await expect(statusItems(page).nth(1)).toBeFocused();
  await page.reload();
  await expect(statusItems(page)).toHaveCount(2);

  // Deleted elsewhere meanwhile: the 404 says so and the row goes too.
  const first = await page.request.get('/fetchStatus');
  const oldest = ((await first.json()) as { items: { id: number; text: string }[] }).items.find((s) => s.text === 'First of three')!;
  expect((await page.request.delete(`/statuses/${oldest.id}`)).status()).toBe(204);
  await page.getByRole('button', { name: 'Delete status: First of three', exact: true }).click();
  await page.getByRole('group', { name: 'Delete this status?' }).getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(page.getByText('That status had already been deleted.')).toBeVisible();
  await expect(statusItems(page)).toHaveCount(1);
  await expect(statusItems(page).first()).toContainText('Third of three');
});

test('the security activity lists registration and logins, newest first, a page at a time', async ({ browser, page }) => {
  const user = newUser();
  await registerViaApi(page.request, user);
  // Eleven more logins from elsewhere: more than the panel's first page of ten.
  for (let i = 0; i < 11; i++) {
    const context = await browser.newContext();
    expect((await context.request.post('/login', { data: { email: user.email, password: user.password } })).status()).toBe(200);
    await context.close();
  }
  await page.context().clearCookies();
  await loginViaUi(page, user);

  const panel = activityPanel(page);
  const events = panel.getByRole('listitem');
  await expect(events).toHaveCount(10);
  // Newest first: this login, from this browser.
  await expect(events.first()).toContainText('Logged in');
  await expect(events.first()).toContainText(/just now|seconds? ago/);
  await expect(events.first()).toContainText('127.0.0.1');
  await expect(events.first()).toContainText('Headless Chrome on Linux');

  await panel.getByRole('button', { name: 'Load more activity' }).click();
  // Registration wrote two: the account, and its verification link mailed.
  await expect(events).toHaveCount(14);
  await expect(events.nth(10)).toBeFocused();
  await expect(events.nth(12)).toContainText('Verification email sent');
  await expect(events.last()).toContainText('Account created');
  await expect(panel.getByRole('button', { name: 'Load more activity' })).toHaveCount(0);
});

test('changing the password logs out every other session; the new one logs in', async ({ browser, page }) => {
  const user = newUser();
  await registerViaUi(page, user);
  // Another browser logged into the same account.
  const other = await browser.newContext();
  expect((await other.request.post('/login', { data: { email: user.email, password: user.password } })).status()).toBe(200);
  expect((await other.request.get('/me')).status()).toBe(200);

  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Change password' });
  const newPassword = `${user.password}-new`;
  await form.getByLabel('Current password', { exact: true }).fill(user.password);
  await form.getByLabel('New password', { exact: true }).fill(user.password);
  // The rules are shown as typed, the one of this form included.
  await expect(form.getByRole('listitem').filter({ hasText: 'Differs from the current password' })).toHaveClass(/rule--unmet/);
  await form.getByLabel('New password', { exact: true }).fill(newPassword);
  await expect(form.getByRole('listitem').filter({ hasText: 'Differs from the current password' })).toHaveClass(/rule--met/);
  await expect(form.getByRole('listitem').filter({ hasText: '8 to 72 bytes' })).toHaveClass(/rule--met/);

  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByText('Password changed. Other sessions were logged out.')).toBeVisible();
  await expect(form.getByLabel('Current password', { exact: true })).toHaveValue('');

  // The other browser's session is over; this one goes on, with one session left.
  expect((await other.request.get('/me')).status()).toBe(401);
  await other.close();
  await page.getByRole('link', { name: 'Home' }).click();
  await expect(sessionsPanel(page).getByRole('listitem')).toHaveCount(1);
  await expect(activityPanel(page).getByRole('listitem').first()).toContainText('Password changed');

  // A fresh browser: the old password no longer works, the new one does.
  const fresh = await browser.newContext();
  const freshPage = await fresh.newPage();
  expect((await fresh.request.post('/login', { data: { email: user.email, password: user.password } })).status()).toBe(401);
  await loginViaUi(freshPage, { ...user, password: newPassword });
  await fresh.close();
});

test('a wrong current password is said on its field', async ({ page }) => {
  const user = newUser();
  await registerViaUi(page, user);
  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Change password' });
  const current = form.getByLabel('Current password', { exact: true });
  await current.fill(`${user.password}-not`);
  await form.getByLabel('New password', { exact: true }).fill(`${user.password}-new`);
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByText('The current password is wrong.')).toBeVisible();
  await expect(current).toHaveAttribute('aria-invalid', 'true');
  await expect(current).toBeFocused();
  await expect(current).toHaveValue('');
  // Nothing changed: the password still logs in.
  expect((await page.request.post('/login', { data: { email: user.email, password: user.password } })).status()).toBe(200);
});

test('a 429 on the password change says how long to wait', async ({ page }) => {
  await registerViaUi(page, newUser());
  await page.goto('/settings');
  await page.route('**/me/password', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'Retry-After': '42' },
      contentType: 'application/problem+json',
      body: JSON.stringify({ type: '/problems/rate-limited', title: 'Too many requests', status: 429 }),
    }),
  );
  const form = page.getByRole('form', { name: 'Change password' });
  await form.getByLabel('Current password', { exact: true }).fill('whatever-it-is');
  await form.getByLabel('New password', { exact: true }).fill('something-new-42');
  await form.getByRole('button', { name: 'Change password' }).click();
  await expect(form.getByRole('alert')).toHaveText('Too many attempts. Try again in 42 seconds.');
});

test('deleting the account asks for the password, then lands on the login page; it no longer logs in', async ({ page }) => {
  const user = newUser();
  await registerViaUi(page, user);
  await page.goto('/settings');
  const danger = page.getByRole('region', { name: 'Delete account' });
  await danger.getByRole('button', { name: 'Delete account…' }).click();
  const confirm = danger.getByRole('form', { name: 'Delete account' });
  const password = confirm.getByLabel('Password', { exact: true });
  await expect(password).toBeFocused();

  // Cancel puts it away and gives the focus back.
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(danger.getByRole('button', { name: 'Delete account…' })).toBeFocused();
  await danger.getByRole('button', { name: 'Delete account…' }).click();

  await password.fill(`${user.password}-not`);
  await confirm.getByRole('button', { name: 'Delete my account' }).click();
  await expect(confirm.getByText('The password is wrong.')).toBeVisible();
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(page).toHaveURL(/\/settings$/);

  await password.fill(user.password);
  await confirm.getByRole('button', { name: 'Delete my account' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('status').filter({ hasText: 'Your account was deleted.' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 1 })).toBeFocused();

  const login = page.getByRole('form', { name: 'Log in' });
  await login.getByLabel('Email', { exact: true }).fill(user.email);
  await login.getByLabel('Password', { exact: true }).fill(user.password);
  await login.getByRole('button', { name: 'Log in' }).click();
  await expect(login.getByRole('alert')).toHaveText('Invalid email or password');
  await expect(page).toHaveURL(/\/$/);
});

test('the settings page downloads your data as one JSON file', async ({ page }) => {
  const user = newUser('Exporter');
  await registerViaUi(page, user);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download your data' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('status-api-export.json');
  const path = await download.path();
  const { readFile } = await import('node:fs/promises');
  const document = JSON.parse(await readFile(path, 'utf8'));
  expect(Object.keys(document).sort()).toEqual(['security_events', 'sessions', 'statuses', 'user']);
  expect(document.user.email).toBe(user.email.toLowerCase());
});
