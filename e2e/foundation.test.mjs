import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, launchBrowser, withPage, createAdmin } from './harness.mjs';

let app, browser;
before(async () => {
  app = await startApp();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

test('an API call without a session gets a JSON 401', async () => {
  const res = await fetch(app.url + '/api/me');
  assert.equal(res.status, 401);
  const body = await res.json();
  assert.equal(body.error.code, 'not_signed_in');
});

test('first run: create the admin, see the shell, log out, wrong password, log in', async () => {
  await withPage(browser, 'first-run', async (page) => {
    await createAdmin(page, app.url);
    // The navigation shell.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Organizers' }).waitFor();
    await page.getByRole('heading', { name: 'Organizers' }).waitFor();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL('**/settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The username or password is wrong.' }).waitFor();

    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('current-user').filter({ hasText: 'admin' }).waitFor();
    assert.match(page.url(), /\/$/);
  });
});

test('a deep link while signed out returns there after login', async () => {
  await withPage(browser, 'deep-link', async (page) => {
    await page.goto(app.url + '/settings');
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/settings');
    await page.getByRole('heading', { name: 'Settings' }).waitFor();
  });
});

test('a page with no route says so', async () => {
  await withPage(browser, 'not-found', async (page) => {
    await page.goto(app.url + '/login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('current-user').waitFor();
    await page.goto(app.url + '/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  });
});
