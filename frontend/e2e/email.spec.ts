import { expect, test, type Page } from '@playwright/test';
import { newUser, registerViaUi } from './support';

const banner = (page: Page) => page.getByRole('region', { name: 'Email not verified' });
const randomToken = () => Array.from({ length: 64 }, () => Math.floor(Math.random() * 16).toString(16)).join('');

test('a new account is told to verify its email, on every signed-in page', async ({ page }) => {
  const user = newUser();
  await registerViaUi(page, user);
  await expect(banner(page)).toContainText(`We sent a link to ${user.email}`);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(banner(page)).toBeVisible();
});

test('/verify-email without a token says the link is incomplete, and sends nothing', async ({ page }) => {
  let verifies = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/email/verify') verifies++;
  });
  await page.goto('/verify-email');
  await expect(page.getByRole('heading', { level: 1, name: 'Verify your email address' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText(/This link is incomplete/);
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  expect(verifies).toBe(0);
});

test('a dead verification link is explained, and its token leaves the address bar', async ({ page }) => {
  const token = randomToken();
  const sent: string[] = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/email/verify') sent.push((request.postDataJSON() as { token: string }).token);
  });
  await page.goto(`/verify-email#token=${token}`);
  await expect(page.getByRole('alert')).toHaveText(/can no longer be used: it was already used, a newer one was sent, or it has expired/);
  expect(sent).toEqual([token]);
  await expect(page).toHaveURL(/\/verify-email$/);
  expect(await page.evaluate(() => location.hash)).toBe('');
  await expect(page.getByText('Log in to ask for a new link.')).toBeVisible();
});
