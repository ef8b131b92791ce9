// The write plan on an order's page: before a sync it shows what would be
// created with HubSpot's values read live; after Sync now, that nothing is
// left to send. Nothing is written by the preview itself.
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

test('write plan: preview an order before and after Sync now', async () => {
  await withPage(browser, 'write-plan', async (page) => {
    await createAdmin(page, app.url);
    await addOrganizerInUI(page, fakes, app.url);
    await connectHubSpotToken(page, fakes, eventBase);
    assert.equal((await apiCall(page, 'POST', eventBase + '/mappings/suggestion')).status, 201);

    const list = await apiCall(page, 'GET', `${eventBase}/orders?page_size=50`);
    const order = list.body.data.orders.find((o) => o.email && /^[\x21-\x7e]+$/.test(o.email) && !o.testmode);
    assert.ok(order, 'an order with an e-mail address');
    await page.goto(`${app.url}${eventBase}/orders/${order.code}`);
    const plan = page.getByTestId('write-plan');
    await plan.getByRole('button', { name: 'Preview what a sync would send' }).click();
    const rec = plan.getByTestId('plan-record').first();
    await rec.waitFor();
    assert.match(await rec.getByRole('heading').textContent(), new RegExp(`Contact\\s+email “${order.email.replace(/[.+]/g, '\\$&')}”`, 'i'));
    await rec.getByTestId('plan-action').getByText(/would be (written by its identifier|created)/).waitFor();
    const nameRow = rec.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /firstname/ }) });
    await nameRow.getByRole('cell', { name: '(no record yet)' }).waitFor();
    const before = await nameRow.getByRole('cell').allTextContents();
    assert.equal(before[3].trim(), 'sent with the new record');
    await rec.getByText(/^Request: POST \/crm\/objects\/[\d-]+\/contacts\/batch\/(upsert|create)$/).click();
    assert.match(await rec.locator('pre').textContent(), /"inputs"/);
    const box = page.getByTestId('order-sync-box');
    await box.getByText('No data transmitted.').waitFor();

    // Synced: the preview reads HubSpot again and finds nothing to send.
    await box.getByRole('button', { name: 'Sync now' }).click();
    await box.getByTestId('sync-record').first().waitFor();
    await plan.getByRole('button', { name: 'Preview again' }).click();
    await rec.getByTestId('plan-action').getByText(/HubSpot already holds these values|written by its identifier/).waitFor();
    await rec.getByRole('link', { name: 'Open in HubSpot' }).waitFor();
    const after = await nameRow.getByRole('cell').allTextContents();
    assert.equal(after[1].trim(), before[2].trim(), 'HubSpot now holds the first name the preview showed');
    assert.equal(after[3].trim(), 'unchanged');
  });
});
