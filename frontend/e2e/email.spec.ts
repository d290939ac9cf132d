import { expect, test, type Browser, type Page } from '@playwright/test';
import { linkMailedTo, mailsTo, needsMail } from './mail';
import { activityPanel, loginViaUi, newUser, registerViaApi, registerViaUi, type TestUser } from './support';

// The email flows end to end: each test follows the link of the mail the
// server really sent (through its SMTP sink, e2e/mail.ts), as a user would.

const banner = (page: Page) => page.getByRole('region', { name: 'Email not verified' });
const randomToken = () => Array.from({ length: 64 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
const VERIFY_SUBJECT = /^Confirm your email address/;
const CHANGE_SUBJECT = /^Confirm your new email address/;
const RESET_SUBJECT = /^Reset your .* password/;
const DEAD_LINK = 'This link can no longer be used: it was already used, a newer one was sent, or it has expired.';

/** The page a mailed link opens has taken the token out of the address bar. */
async function expectTokenGone(page: Page, path: string) {
  await expect(page).toHaveURL(new RegExp(`${path}$`));
  expect(await page.evaluate(() => location.hash)).toBe('');
}

/** An account registered in a browser of its own, so this page stays logged out. */
async function registerElsewhere(browser: Browser, user: TestUser) {
  const context = await browser.newContext();
  await registerViaApi(context.request, user);
  await context.close();
}

test('register, the banner, verify through the mailed link in another tab: the banner goes', async ({ page }) => {
  needsMail();
  const user = newUser();
  await registerViaUi(page, user);
  await expect(banner(page)).toContainText(`We sent a link to ${user.email}`);
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(banner(page)).toBeVisible();
  await expect(page.getByRole('region', { name: 'Email', exact: true })).toContainText('(not verified yet)');

  const link = await linkMailedTo(user.email, VERIFY_SUBJECT);
  expect(link.startsWith(`${new URL(page.url()).origin}/verify-email#token=`)).toBe(true);
  const tab = await page.context().newPage();
  await tab.goto(link);
  await expect(tab.getByRole('status')).toHaveText(`Your email address ${user.email} is verified.`);
  await expectTokenGone(tab, '/verify-email');
  await expect(tab.getByRole('link', { name: 'Go to your home page' })).toBeVisible();
  await tab.close();

  // Back in the first tab (the browser says it is in view again): /me is asked again.
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange', { bubbles: true })));
  await expect(banner(page)).toHaveCount(0);
  await expect(page.getByRole('region', { name: 'Email', exact: true })).toContainText('(verified)');
  await page.getByRole('link', { name: 'Home' }).click();
  await expect(activityPanel(page).getByRole('listitem').first()).toContainText('Email address verified');
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: user.name })).toBeVisible();
  await expect(banner(page)).toHaveCount(0);
});

test('"Send again" mails a new link, and the older one no longer works', async ({ page }) => {
  needsMail();
  const user = newUser();
  await registerViaUi(page, user);
  const first = await linkMailedTo(user.email, VERIFY_SUBJECT);

  await banner(page).getByRole('button', { name: 'Send again' }).click();
  await expect(banner(page).getByRole('status')).toHaveText(`A new link is on its way to ${user.email}.`);
  const second = await linkMailedTo(user.email, VERIFY_SUBJECT, 2);
  expect(second).not.toBe(first);

  // The first link was replaced: the page says so, and offers another one.
  await page.goto(first);
  await expect(page.getByRole('alert')).toHaveText(DEAD_LINK);
  await expectTokenGone(page, '/verify-email');
  await expect(page.getByRole('button', { name: 'Send a new link' })).toBeVisible();

  await page.goto(second);
  await expect(page.getByRole('status')).toHaveText(`Your email address ${user.email} is verified.`);
  await page.getByRole('link', { name: 'Go to your home page' }).click();
  await expect(page.getByRole('heading', { level: 1, name: user.name })).toBeVisible();
  await expect(banner(page)).toHaveCount(0);
});

test('"Send again" says how long to wait on a 429 (mocked)', async ({ page }) => {
  await registerViaUi(page, newUser());
  await page.route('**/email/verify/resend', (route) =>
    route.fulfill({
      status: 429,
      headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1800' },
      body: JSON.stringify({ type: '/problems/rate-limited', title: 'Too many requests', status: 429 }),
    }),
  );
  await banner(page).getByRole('button', { name: 'Send again' }).click();
  await expect(banner(page).getByRole('status')).toHaveText('Several links were sent already. You can ask again in 30 minutes.');
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
  await expect(page.getByRole('alert')).toHaveText(DEAD_LINK);
  expect(sent).toEqual([token]);
  await expectTokenGone(page, '/verify-email');
  await expect(page.getByText('Log in to ask for a new link.')).toBeVisible();
});

test('forgot password: the mailed link sets a new password and logs in', async ({ browser, page }) => {
  needsMail();
  const user = newUser();
  await registerElsewhere(browser, user);

  await page.goto('/');
  const login = page.getByRole('form', { name: 'Log in' });
  await login.getByLabel('Email', { exact: true }).fill(user.email);
  await login.getByRole('button', { name: 'Forgot your password?' }).click();
  const forgot = page.getByRole('form', { name: 'Forgot password' });
  // What the login form had is carried over, and the focus is there.
  await expect(forgot.getByLabel('Email', { exact: true })).toHaveValue(user.email);
  await expect(forgot.getByLabel('Email', { exact: true })).toBeFocused();
  await forgot.getByRole('button', { name: 'Send reset link' }).click();
  const sent = page.getByRole('status');
  await expect(sent).toHaveText(/is on its way/);
  const said = (await sent.textContent())!;

  // An address without an account reads the same, and is mailed nothing.
  const stranger = newUser();
  await page.getByRole('button', { name: 'Use another address' }).click();
  await forgot.getByLabel('Email', { exact: true }).fill(stranger.email);
  await forgot.getByRole('button', { name: 'Send reset link' }).click();
  await expect(sent).toHaveText(said.replace(user.email, stranger.email));

  // Back to the login form, as it was left.
  await page.getByRole('button', { name: 'Back to log in' }).click();
  await expect(login.getByRole('button', { name: 'Forgot your password?' })).toBeFocused();
  await expect(login.getByLabel('Email', { exact: true })).toHaveValue(user.email);

  const link = await linkMailedTo(user.email, RESET_SUBJECT);
  expect(link).toContain('/reset-password#token=');
  await page.goto(link);
  await expect(page.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
  await expectTokenGone(page, '/reset-password');
  const reset = page.getByRole('form', { name: 'Reset password' });
  const newPassword = `${user.password}-reset`;
  await reset.getByLabel('New password', { exact: true }).fill(newPassword);
  await expect(reset.getByRole('listitem').filter({ hasText: '8 to 72 bytes' })).toHaveClass(/rule--met/);
  await reset.getByRole('button', { name: 'Save password and log in' }).click();

  // Logged in, at home; the reset verified the address too.
  await expect(page).toHaveURL(/\/home$/);
  await expect(page.getByRole('heading', { level: 1, name: user.name })).toBeVisible();
  await expect(banner(page)).toHaveCount(0);
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: user.name })).toBeVisible();

  // The old password is gone, the new one logs in.
  const fresh = await browser.newContext();
  expect((await fresh.request.post('/login', { data: { email: user.email, password: user.password } })).status()).toBe(401);
  await loginViaUi(await fresh.newPage(), { ...user, password: newPassword });
  await fresh.close();

  // The link worked once: opened again, it offers to ask for a new one.
  await page.goto(link);
  await page.getByRole('form', { name: 'Reset password' }).getByLabel('New password', { exact: true }).fill(`${newPassword}-again`);
  await page.getByRole('button', { name: 'Save password and log in' }).click();
  await expect(page.getByRole('alert')).toHaveText(DEAD_LINK);
  const again = page.getByRole('form', { name: 'Forgot password' });
  await expect(again.getByLabel('Email', { exact: true })).toBeFocused();
  await again.getByLabel('Email', { exact: true }).fill(user.email);
  await again.getByRole('button', { name: 'Send reset link' }).click();
  await expect(page.getByRole('status')).toHaveText(/is on its way/);
  await mailsTo(user.email, RESET_SUBJECT, 2);
  // Long after its request, the address without an account has had no mail.
  expect(await mailsTo(stranger.email, /./, 0)).toEqual([]);
});

test('/reset-password without a token offers to ask for a link', async ({ page }) => {
  await page.goto('/reset-password');
  await expect(page.getByRole('alert')).toHaveText(/This link is incomplete/);
  await expect(page.getByRole('form', { name: 'Forgot password' })).toBeVisible();
});

test('changing the email: a link to the new address, and once opened /me has it', async ({ browser, page }) => {
  needsMail();
  const user = newUser();
  const other = newUser('Other');
  await registerElsewhere(browser, other);
  await registerViaUi(page, user);
  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Change email' });
  const newEmail = newUser().email;
  const email = form.getByLabel('New email', { exact: true });
  const password = form.getByLabel('Password', { exact: true });
  const submit = form.getByRole('button', { name: 'Change email' });

  // The server's 422 is shown by its field.
  await email.fill('not an address');
  await password.fill(user.password);
  await submit.click();
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(email).toBeFocused();

  // A wrong password (403) is said on its field, which is emptied.
  await email.fill(newEmail);
  await password.fill(`${user.password}-not`);
  await submit.click();
  await expect(form.getByText('The password is wrong.')).toBeVisible();
  await expect(password).toBeFocused();
  await expect(password).toHaveValue('');

  // An address another account has (409) is said on its field.
  await email.fill(other.email);
  await password.fill(user.password);
  await submit.click();
  await expect(form.getByText('Another account already uses this email.')).toBeVisible();
  await expect(email).toBeFocused();

  await email.fill(newEmail);
  await submit.click();
  await expect(form.getByRole('status')).toHaveText(`We sent a link to ${newEmail}. Your address changes once you open it.`);
  // Nothing changes until the link is opened.
  expect(((await (await page.request.get('/me')).json()) as { email: string }).email).toBe(user.email);

  const link = await linkMailedTo(newEmail, CHANGE_SUBJECT);
  await page.goto(link);
  await expect(page.getByRole('status')).toHaveText(`Your email address is now ${newEmail}.`);
  await expectTokenGone(page, '/verify-email');
  expect(((await (await page.request.get('/me')).json()) as { email: string }).email).toBe(newEmail);
  await page.getByRole('link', { name: 'Go to your home page' }).click();
  await expect(page.getByText(newEmail, { exact: true })).toBeVisible();
  await expect(banner(page)).toHaveCount(0);
});

test('an email change whose address was taken meanwhile is explained (409)', async ({ browser, page }) => {
  needsMail();
  const user = newUser();
  await registerViaUi(page, user);
  await page.goto('/settings');
  const form = page.getByRole('form', { name: 'Change email' });
  const wanted = newUser();
  await form.getByLabel('New email', { exact: true }).fill(wanted.email);
  await form.getByLabel('Password', { exact: true }).fill(user.password);
  await form.getByRole('button', { name: 'Change email' }).click();
  await expect(form.getByRole('status')).toHaveText(/We sent a link/);
  const link = await linkMailedTo(wanted.email, CHANGE_SUBJECT);

  await registerElsewhere(browser, wanted);
  await page.goto(link);
  await expect(page.getByRole('alert')).toHaveText(/Your email address was not changed: another account has taken that address/);
  expect(((await (await page.request.get('/me')).json()) as { email: string }).email).toBe(user.email);
});
