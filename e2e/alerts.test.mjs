// Settings → Alerts as an admin meets it: a wrong address is named at its
// field, a webhook is saved, and "Send a test to the webhook" delivers a
// Slack-compatible JSON message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startApp, launchBrowser, withPage, createAdmin } from './harness.mjs';

let app, browser, receiver;
const posts = [];

before(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posts.push({ type: req.headers['content-type'], body: JSON.parse(body) });
      res.end('ok');
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  app = await startApp();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
  receiver?.close();
});

test('alerts: a webhook is saved and its test message arrives', async () => {
  await withPage(browser, 'alerts', async (page) => {
    await createAdmin(page, app.url);
    await page.goto(app.url + '/settings');
    const card = page.getByTestId('alert-settings');
    await card.getByRole('heading', { name: 'Alerts' }).waitFor();
    assert.equal(await card.getByRole('button', { name: 'Send a test to the webhook' }).isDisabled(), true);

    await card.getByLabel('Mail server (SMTP host)').fill('smtp.example.org');
    await card.getByLabel('Send alerts to').fill('ops at example');
    await card.getByRole('button', { name: 'Save alert settings' }).click();
    await card.getByText('“ops at example” is not an e-mail address.').waitFor();
    await card.getByText(/Enter the sender address/).waitFor();

    await card.getByLabel('Mail server (SMTP host)').fill('');
    await card.getByLabel('Send alerts to').fill('');
    const url = `http://127.0.0.1:${receiver.address().port}/hook`;
    await card.getByLabel('Webhook URL').fill(url);
    await card.getByRole('button', { name: 'Save alert settings' }).click();
    await page.getByText('Alert settings saved.').waitFor();
    await card.getByRole('button', { name: 'Send a test to the webhook' }).click();
    await page.getByText('The test alert was sent. Check that it arrived.').waitFor();
    assert.equal(posts.length, 1);
    assert.equal(posts[0].type, 'application/json');
    assert.match(posts[0].body.text, /^\*Test alert\*\n/);
    assert.equal(posts[0].body.alert.kind, 'test');

    // Reloaded, the settings are kept.
    await page.reload();
    assert.equal(await card.getByLabel('Webhook URL').inputValue(), url);
  });
});
