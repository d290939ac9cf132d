import { expect, test } from '@playwright/test';
import { activityPanel, loginViaUi, newUser, registerViaApi, registerViaUi, screenshotPath, statusItems } from './support';

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
  await expect(events).toHaveCount(13);
  await expect(events.nth(10)).toBeFocused();
  await expect(events.last()).toContainText('Account created');
  await expect(panel.getByRole('button', { name: 'Load more activity' })).toHaveCount(0);
});
