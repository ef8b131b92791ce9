// pretix as the source, as a user meets it: add an organizer (a wrong token
// first), see its events, the event dashboard, the orders list with search,
// an order with add-ons and answers; a webhook brings a new order in; the
// organizer is removed after a confirmation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startFakes, launchBrowser, withPage, createAdmin } from './harness.mjs';

let app, fakes, browser;

before(async () => {
  fakes = await startFakes({ orders: 40 });
  app = await startApp();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
  await fakes?.stop();
});

/** GETs a pretix API path from the emulator, as pretix itself would answer. */
async function pretixGet(path) {
  const res = await fetch(`${fakes.pretix_url}/api/v1/organizers/${fakes.organizer}/${path}`, {
    headers: { Authorization: `Token ${fakes.pretix_token}` },
  });
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

/** An order of conf2026 with an add-on and answers, and the question texts. */
async function richOrder() {
  const questions = new Map();
  // The app shows questions in the event's first language; accept any.
  for (const q of (await pretixGet('events/conf2026/questions/?page_size=50')).results) questions.set(q.id, Object.values(q.question));
  for (let url = 'events/conf2026/orders/?page_size=50&testmode=false'; url; ) {
    const page = await pretixGet(url);
    for (const o of page.results) {
      const addon = o.positions.find((p) => p.addon_to !== null && !p.canceled);
      const answer = o.positions.flatMap((p) => p.answers).find((a) => questions.get(a.question) && a.answer && a.answer.length < 60);
      if (addon && answer && o.email) return { order: o, question: questions.get(answer.question) };
    }
    url = page.next ? page.next.slice(page.next.indexOf('events/')) : '';
  }
  throw new Error('the emulator made no order with an add-on and a short answer');
}

test('add an organizer, browse its events and orders, receive a webhook, remove it', async () => {
  const { order, question } = await richOrder();
  await withPage(browser, 'pretix-organizer', async (page) => {
    await createAdmin(page, app.url);

    // Empty start page → Add organizer.
    await page.getByText('No pretix organizer connected yet.').waitFor();
    await page.getByRole('link', { name: 'Add organizer' }).click();
    await page.getByRole('heading', { name: 'Add organizer' }).waitFor();

    // A wrong token: the message at the token field says it is invalid.
    await page.getByLabel('pretix URL').fill(fakes.pretix_url);
    await page.getByLabel('API token').fill('not-the-right-token');
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.locator('#token-error').filter({ hasText: 'pretix does not accept this token.' }).waitFor();
    await page.getByTestId('connect-error').filter({ hasText: 'pretix rejected the API token' }).waitFor();

    // The right token: the organizer and its events, then Save.
    await page.getByLabel('API token').fill(fakes.pretix_token);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const ok = page.getByTestId('connect-ok');
    await ok.filter({ hasText: 'Connected to DemoCon Events' }).waitFor();
    await ok.getByText('DemoCon 2026').waitFor();
    await ok.getByText('Workshop series').waitFor();
    assert.equal(await page.locator('#token-error').count(), 0);
    await page.getByRole('button', { name: 'Save' }).click();

    // The organizer page: events, and the first pull finishing by itself.
    await page.waitForURL('**/organizers/democon');
    await page.getByRole('heading', { name: 'DemoCon Events' }).waitFor();
    await page.getByTestId('pull-status').getByText('OK', { exact: true }).waitFor({ timeout: 20000 });
    const confRow = page.getByRole('row').filter({ hasText: 'DemoCon 2026' });
    await confRow.waitFor();
    assert.notEqual((await confRow.getByRole('cell').nth(2).textContent()).trim(), '0', 'order count after the pull');
    await page.getByText('A token is stored. Enter a new one to replace it.').waitFor();
    assert.equal(await page.getByLabel('API token').inputValue(), '');
    const hook = await page.getByTestId('webhook-url').inputValue();
    assert.match(hook, new RegExp(`^${app.url}/webhooks/pretix/[\\w-]{20,}$`));
    await page.getByText('pretix.event.order.placed', { exact: true }).waitFor();

    // The event dashboard, then the orders list.
    await confRow.getByRole('link', { name: 'DemoCon 2026' }).click();
    await page.waitForURL('**/organizers/democon/events/conf2026');
    await page.getByRole('heading', { name: 'DemoCon 2026' }).waitFor();
    await page.getByTestId('orders-total').filter({ hasText: /[1-9]/ }).waitFor();
    await page.getByRole('navigation', { name: 'Event' }).getByRole('link', { name: 'Orders' }).click();
    await page.waitForURL('**/events/conf2026/orders');
    await page.getByRole('heading', { name: 'Orders' }).waitFor();
    await page.getByRole('navigation', { name: 'Order pages' }).waitFor();

    // Search by e-mail (debounced, no button), then open the order.
    await page.getByLabel('Search').fill(order.email);
    await page.waitForURL(/search=/);
    // Only orders of that buyer remain.
    await page.waitForFunction(() => document.querySelectorAll('tbody strong.code').length <= 3);
    const link = page.getByRole('link', { name: order.code, exact: true });
    await link.waitFor();
    const codes = await page.locator('tbody strong.code').allTextContents();
    assert.ok(codes.includes(order.code) && codes.length <= 3, `search result ${codes}`);
    await link.click();
    await page.waitForURL(`**/orders/${order.code}`);
    await page.getByRole('heading', { name: `Order ${order.code}` }).waitFor();
    await page.getByText(/↳ Add-on to #\d+/).first().waitFor();
    const anyText = new RegExp(question.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
    await page.getByRole('term').filter({ hasText: anyText }).first().waitFor();
    await page.getByText('Order history').waitFor();
    await page.getByText('Order imported from pretix').waitFor();
    if (order.invoice_address) await page.getByTestId('invoice-address').waitFor();

    // A webhook: pretix notifies, the order is fetched and listed within seconds.
    await fakes.addWebhook(hook);
    const placed = await fakes.placeOrder('conf2026');
    // The list shows what is stored when it loads, so look until it is there.
    const deadline = Date.now() + 10000;
    for (;;) {
      await page.goto(`${app.url}/organizers/democon/events/conf2026/orders?search=${placed.code}`);
      await page.getByRole('navigation', { name: 'Order pages' }).waitFor();
      if (await page.getByRole('link', { name: placed.code, exact: true }).isVisible()) break;
      assert.ok(Date.now() < deadline, `order ${placed.code} did not arrive by webhook`);
      await page.waitForTimeout(250);
    }

    // Remove organizer: the dialog says what is deleted.
    await page.goto(`${app.url}/organizers/democon`);
    await page.getByRole('button', { name: 'Remove organizer' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove DemoCon Events?' });
    await dialog.getByTestId('remove-list').filter({ hasText: '2 events' }).waitFor();
    await dialog.getByRole('button', { name: 'Remove organizer' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByText('No pretix organizer connected yet.').waitFor();
  });
  assert.doesNotMatch(app.logs(), new RegExp(fakes.pretix_token), 'the token appears in the log');
});
