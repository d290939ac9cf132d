import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where screenshots go: `frontend/screenshots/` only for `make screenshots`
 * (which sets SCREENSHOT_DIR), so that a test run leaves tracked files alone. */
export const screenshotPath = (name: string) =>
  join(process.env.SCREENSHOT_DIR ?? fileURLToPath(new URL('../test-results/screenshots/', import.meta.url)), name);

export interface TestUser {
  email: string;
  name: string;
  password: string;
}

/** A fresh account per test, so tests are independent on a shared server. */
export function newUser(name = 'Tess Tester', prefix = 'e2e'): TestUser {
  const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  return { email: `${prefix}-${id}@example.com`, name, password: `Pw-${id}-kx9` };
}

export async function registerViaApi(request: APIRequestContext, user: TestUser) {
  const response = await request.post('/register', { data: user });
  expect(response.status(), await response.text()).toBe(201);
}

export async function registerViaUi(page: Page, user: TestUser) {
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Register' });
  await form.getByLabel('Email', { exact: true }).fill(user.email);
  await form.getByLabel('Name', { exact: true }).fill(user.name);
  await form.getByLabel('Password', { exact: true }).fill(user.password);
  await form.getByRole('button', { name: 'Register' }).click();
  await expect(page).toHaveURL(/\/home$/);
}

export async function loginViaUi(page: Page, user: TestUser) {
  await page.goto('/');
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('Email', { exact: true }).fill(user.email);
  await form.getByLabel('Password', { exact: true }).fill(user.password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/home$/);
}

export function statusItems(page: Page) {
  return page.getByRole('region', { name: 'Your statuses' }).getByRole('listitem');
}

export function sessionsPanel(page: Page) {
  return page.getByRole('region', { name: 'Active sessions' });
}

export const USER_AGENTS = {
  iphone:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  firefoxWindows: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
};

export function activityPanel(page: Page) {
  return page.getByRole('region', { name: 'Security activity' });
}
