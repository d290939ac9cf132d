import { expect, test, type Page } from '@playwright/test';
import { newUser } from './support';

// The shared test server runs with rate limits off, so these answers are
// mocked in the browser (page.route): they check what the forms show for a
// 429, not the server's limits.

async function answer429(page: Page, path: string, retryAfter: string) {
  await page.route(`**/${path}`, (route) =>
    route.fulfill({
      status: 429,
      headers: { 'Content-Type': 'application/problem+json', 'Retry-After': retryAfter },
      body: JSON.stringify({ type: '/problems/rate-limited', title: 'Too many requests', status: 429 }),
    }),
  );
}

test('429 on register and on the email check says how long to wait (mocked)', async ({ page }) => {
  await answer429(page, 'checkemail', '42');
  await answer429(page, 'register', '42');
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Register' });
  const user = newUser();
  await form.getByLabel('Email', { exact: true }).fill(user.email);
  await expect(form.getByText('Too many checks right now. Checking again in 42 seconds.')).toBeVisible();
  await form.getByLabel('Name', { exact: true }).fill(user.name);
  await form.getByLabel('Password', { exact: true }).fill(user.password);
  await form.getByRole('button', { name: 'Register' }).click();
  await expect(form.getByRole('alert')).toHaveText('Too many attempts. Try again in 42 seconds.');
  await expect(page).toHaveURL(/\/$/);
});

test('429 on login says how long to wait, then that the wait is over (mocked)', async ({ page }) => {
  await answer429(page, 'login', '1');
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email', { exact: true }).fill('someone@example.com');
  await form.getByLabel('Password', { exact: true }).fill('whatever-it-is');
  await form.getByRole('button', { name: 'Log in' }).click();
  await expect(form.getByRole('alert')).toHaveText('Too many attempts. Try again in 1 second.');
  await expect(form.getByRole('status')).toHaveText('You can try again now.');
  await expect(form.getByRole('alert')).toHaveCount(0);
});
