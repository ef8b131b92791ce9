// Line items as an organizer meets them: accept the suggested deal mapping
// with line items and products, an order placed in pretix becomes a deal
// with a line item per ticket, and canceling a ticket in pretix removes its
// line item and lowers the deal's amount.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startFakes, launchBrowser, withPage, createAdmin, apiCall, addOrganizerInUI, connectHubSpotToken } from './harness.mjs';

let app, fakes, browser;
const eventBase = '/organizers/democon/events/conf2026';

before(async () => {
  fakes = await startFakes({ orders: 5 });
  app = await startApp({
    env: { PRETIX_HUBSPOT_HUBSPOT_API_BASE: fakes.hubspot_api_base, PRETIX_HUBSPOT_HUBSPOT_APP_BASE: fakes.hubspot_app_base },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
  await fakes?.stop();
});

/** The deal's record page in the HubSpot emulator: its line items and amount. */
async function dealPage(page, href) {
  await page.goto(href);
  await page.getByRole('heading', { level: 1 }).waitFor();
  const items = await page.getByRole('listitem').filter({ hasText: /^Line item: / }).allTextContents();
  const amount = (await page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'amount', exact: true }) }).getByRole('cell').textContent()).trim();
  return { items, amount };
}

test('suggested deal mapping with line items: an order brings its line items, a canceled ticket removes one', async () => {
  await withPage(browser, 'commerce', async (page) => {
    await createAdmin(page, app.url);
    await addOrganizerInUI(page, fakes, app.url);
    await connectHubSpotToken(page, fakes, eventBase);

    // The buyer first, then the deal suggestion, accepted as offered.
    await page.goto(app.url + eventBase + '/settings/hubspot');
    await page.getByRole('button', { name: 'Use this mapping' }).click();
    const card = page.getByTestId('deal-suggestion');
    await card.getByRole('heading', { name: 'Suggested deal mapping' }).waitFor();
    const paid = card.getByRole('row').filter({ hasText: 'Paid' });
    await paid.getByRole('cell', { name: 'Closed Won' }).waitFor();
    await card.getByRole('row').filter({ hasText: 'Canceled' }).getByRole('cell', { name: 'Closed Lost' }).waitFor();
    for (const label of [/Add a line item to the deal/, /Link the line items to HubSpot products/, /Keep the deals up to date/]) {
      assert.equal(await card.getByLabel(label).isChecked(), true, String(label));
    }
    await card.getByRole('button', { name: 'Use this deal mapping' }).click();
    await page.getByText('The deal and line item mappings were added.').waitFor();
    const table = page.getByRole('table').filter({ hasText: 'Identifier' });
    await table.getByRole('row').filter({ hasText: 'Line items' }).waitFor();
    await table.getByRole('row').filter({ hasText: 'Deals' }).waitFor();
    assert.equal(await page.getByTestId('deal-suggestion').count(), 0);
    const keep = page.getByTestId('resync-settings');
    await keep.getByLabel('Sync an order again when it is canceled').waitFor();
    for (const label of ['Sync an order again when it is paid', 'Sync an order again when its products, attendees or contact details change', 'Sync an order again when it is canceled']) {
      assert.equal(await keep.getByLabel(label).isChecked(), true, label);
    }

    // An order with two tickets or a ticket and an add-on, placed in pretix.
    let order;
    for (let i = 0; i < 80 && !order; i++) {
      const o = await fakes.placeOrder();
      const live = o.positions.filter((p) => !p.canceled);
      const firstTicket = o.positions.find((p) => !p.addon_to && !p.canceled);
      const rest = live.filter((p) => p !== firstTicket && p.addon_to !== firstTicket?.id);
      if (o.status !== 'e' && o.status !== 'c' && !o.require_approval && firstTicket && Number(firstTicket.price) > 0 && rest.length > 0) order = o;
    }
    assert.ok(order, 'no order with two standing tickets placed');
    const live = order.positions.filter((p) => !p.canceled);

    // Its webhook brings it within seconds.
    for (const deadline = Date.now() + 20000; ; ) {
      if ((await apiCall(page, 'GET', `${eventBase}/orders/${order.code}`)).status === 200) break;
      if (Date.now() > deadline) throw new Error(`order ${order.code} did not arrive`);
      await page.waitForTimeout(250);
    }
    await page.goto(`${app.url}${eventBase}/orders/${order.code}`);
    const box = page.getByRole('region', { name: 'Data transfer to external systems' });
    const deal = box.getByTestId('sync-record').filter({ hasText: 'Deal' }).getByRole('link');
    await deal.waitFor({ timeout: 30000 });
    await box.getByTestId('sync-record').filter({ hasText: 'Line item — ticket #' }).first().waitFor();
    const href = await deal.getAttribute('href');

    // The emulator's deal page lists a line item per ticket and add-on.
    const before = await dealPage(page, href);
    assert.equal(before.items.length, live.length, JSON.stringify(before));
    assert.equal(Number(before.amount), Number(order.total), JSON.stringify(before));

    // The first ticket is canceled in pretix (the scanner page's button).
    await page.goto(fakes.pretix_url + '/_fake/scan');
    await page.getByLabel('Event').selectOption('conf2026');
    await page.getByLabel('Order code').fill(order.code);
    await page.getByRole('button', { name: 'Cancel first ticket' }).click();
    const done = await page.getByRole('status').textContent();
    assert.match(done, new RegExp(`Canceled the first ticket of order ${order.code}`));
    const total = done.match(/total is now (\d+\.\d{2})/)[1];
    const ticket = order.positions.find((p) => !p.addon_to && !p.canceled);
    const gone = 1 + live.filter((p) => p.addon_to === ticket.id).length;

    // Its webhook brings the change; the line item goes and the amount follows.
    const deadline = Date.now() + 30000;
    let after;
    for (;;) {
      after = await dealPage(page, href);
      if (after.items.length === live.length - gone && Number(after.amount) === Number(total)) break;
      if (Date.now() > deadline) throw new Error(`deal after the cancellation: ${JSON.stringify(after)}, want ${live.length - gone} line items and ${total}\n${app.logs().slice(-3000)}`);
      await page.waitForTimeout(500);
    }
    await page.goto(`${app.url}${eventBase}/orders/${order.code}`);
    await box.getByText('removed (the ticket was canceled)').first().waitFor();
    await page.getByRole('region', { name: 'Order history' }).getByText(/^Removed \(ticket canceled\): Line item /).first().waitFor();
  });
});
