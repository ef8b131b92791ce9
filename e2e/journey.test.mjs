// The whole journey of issue 6 as a user meets it, against the real binary
// and the pretix and HubSpot emulators: connect pretix, enable HubSpot,
// Request access, map (contact + deal by order code with association), watch
// a new order sync through the webhook, Sync now an earlier order (Pending,
// then the record links), break the deal mapping so the data is rejected
// (the order box's error, the dashboard box, the event's and the
// organizer's problems pages), fix it, Retry selected — the problem is gone —
// and finally Sync orders… on the orders list with its progress.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startFakes, launchBrowser, withPage, createAdmin, apiCall, addOrganizerInUI, walkConsent } from './harness.mjs';

let app, fakes, browser;
const org = '/organizers/democon';
const eventBase = org + '/events/conf2026';

before(async () => {
  fakes = await startFakes({ orders: 12 });
  app = await startApp({
    env: {
      PRETIX_HUBSPOT_HUBSPOT_API_BASE: fakes.hubspot_api_base,
      PRETIX_HUBSPOT_HUBSPOT_APP_BASE: fakes.hubspot_app_base,
      PRETIX_HUBSPOT_HUBSPOT_CLIENT_ID: fakes.hubspot_client_id,
      PRETIX_HUBSPOT_HUBSPOT_CLIENT_SECRET: fakes.hubspot_client_secret,
    },
  });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await app?.stop();
  await fakes?.stop();
});

const fieldPicker = (page, row) => page.getByLabel(`pretix Field, row ${row}`, { exact: true });
const propertyPicker = (page, row) => page.getByRole('combobox', { name: `HubSpot Field, row ${row}`, exact: true });

async function pickProperty(page, row, search, option) {
  await propertyPicker(page, row).fill(search);
  await page.getByRole('option', { name: option }).click();
  assert.equal(await propertyPicker(page, row).inputValue(), option);
}

async function saveMapping(page) {
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Unsaved changes').waitFor({ state: 'detached' });
}

async function editDealMapping(page) {
  await page.goto(app.url + eventBase + '/settings/hubspot');
  const row = page.getByTestId('object-mapping').filter({ hasText: 'Order code → pretix order ID' });
  await row.getByRole('link', { name: 'Edit mapping' }).click();
  await page.getByRole('heading', { name: 'Properties' }).waitFor();
  await propertyPicker(page, 1).waitFor();
}

test('connect, map, sync, break, see the problems, fix, retry, bulk sync', async () => {
  await withPage(browser, 'journey', async (page) => {
    page.setDefaultTimeout(15000);
    await createAdmin(page, app.url);

    // Connect the pretix organizer and point its webhook at the app.
    await page.getByRole('link', { name: 'Add organizer' }).click();
    await page.waitForURL('**/organizers/new');
    await addOrganizerInUI(page, fakes, app.url);

    // Enable HubSpot for the conference and connect through the consent pages.
    await page.goto(app.url + eventBase + '/settings/plugins');
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    await page.getByRole('navigation', { name: 'Event' }).getByRole('link', { name: 'HubSpot' }).click();
    await page.getByRole('button', { name: 'Request access' }).click();
    await walkConsent(page);
    await page.getByText('The HubSpot integration is now active').waitFor();

    // Map: the suggested contact mapping, then a deal by order code with a
    // new unique property, associated with the contact.
    await page.getByRole('button', { name: 'Use this mapping' }).click();
    await page.getByTestId('object-mapping').filter({ hasText: 'Order email → Email' }).waitFor();
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await page.getByLabel('HubSpot object type').selectOption({ label: 'Deals' });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/settings\/hubspot\/mappings\/\d+$/);
    await page.getByRole('heading', { name: 'Properties' }).waitFor();
    assert.equal(await fieldPicker(page, 1).inputValue(), 'order_code');
    await pickProperty(page, 1, 'deal name', 'Deal Name (dealname | string)');
    await page.getByRole('button', { name: 'Create unique property' }).click();
    await page.getByText('was created with unique values').waitFor();
    assert.ok(await page.getByLabel('Order → Contacts (by Order email)').isChecked(), 'deal associated with the contact');
    await page.getByRole('button', { name: 'Add property' }).click();
    await fieldPicker(page, 2).selectOption({ label: 'Order total [Number]' });
    await pickProperty(page, 2, 'amount', 'Amount (amount | number)');
    await saveMapping(page);

    // A buyer orders in pretix: the webhook brings the order, and it goes
    // to HubSpot by itself.
    const placed = await fakes.placeOrder('conf2026');
    for (const deadline = Date.now() + 15000; ; ) {
      const r = await apiCall(page, 'GET', `${eventBase}/orders/${placed.code}`);
      if (r.status === 200) break;
      assert.ok(Date.now() < deadline, `order ${placed.code} did not arrive through the webhook`);
      await page.waitForTimeout(200);
    }
    await page.goto(`${app.url}${eventBase}/orders/${placed.code}`);
    const box = page.getByTestId('order-sync-box');
    await box.getByRole('heading', { name: 'Data transfer to external systems' }).waitFor();
    await box.getByRole('heading', { name: 'HubSpot' }).waitFor();
    await box.getByTestId('sync-record').filter({ hasText: 'Deal' }).getByRole('link', { name: placed.code }).waitFor();
    await page.getByText('Data transferred to HubSpot').first().waitFor();

    // An earlier order (placed before HubSpot was connected) waits for Sync now.
    const list = await apiCall(page, 'GET', `${eventBase}/orders?page_size=200`);
    const earlier = list.body.data.orders.find((o) => o.code !== placed.code && o.email);
    assert.ok(earlier, 'an earlier order with an e-mail address');
    await page.goto(`${app.url}${eventBase}/orders/${earlier.code}`);
    await box.getByText('No data transmitted.').waitFor();
    await box.getByRole('button', { name: 'Sync now' }).click();
    await box.getByTestId('sync-state').getByText('Pending').waitFor();
    const deal = box.getByTestId('sync-record').filter({ hasText: /^Deal/ }).getByRole('link', { name: earlier.code });
    await deal.waitFor();
    const contact = box.getByTestId('sync-record').filter({ hasText: 'Contact — buyer' }).getByRole('link');
    await contact.waitFor();
    assert.match(await deal.getAttribute('href'), new RegExp(`/contacts/${fakes.hubspot_portals[0]}/record/0-3/\\d+$`));
    assert.match(await contact.getAttribute('href'), /\/record\/0-1\/\d+$/);
    assert.equal(await deal.getAttribute('target'), '_blank');
    await box.getByRole('button', { name: 'Sync now' }).waitFor();
    // The history reloaded: the transfer with links to the records.
    const history = page.getByRole('region', { name: 'Order history' });
    await history.getByText('Data transferred to HubSpot').waitFor();
    await history.getByRole('link', { name: `Deal: ${earlier.code}` }).waitFor();

    // Break the deal mapping: a text field into HubSpot's number property.
    await editDealMapping(page);
    await page.getByRole('button', { name: 'Delete row 2' }).click();
    await page.getByRole('button', { name: 'Add property' }).click();
    await fieldPicker(page, 2).selectOption({ label: 'Order email [Text (one line)]' });
    await pickProperty(page, 2, 'amount', 'Amount (amount | number)');
    await page.getByRole('button', { name: 'Warning, row 2' }).waitFor();
    await saveMapping(page);

    await page.goto(`${app.url}${eventBase}/orders/${earlier.code}`);
    await box.getByRole('button', { name: 'Sync now' }).click();
    await box.getByText('Error: Provider reported a permanent error').waitFor();
    const message = box.getByTestId('sync-error');
    assert.match(await message.textContent(), /is not a number/);
    await box.getByRole('button', { name: 'Retry now' }).waitFor();
    await box.getByRole('button', { name: 'Cancel' }).waitFor();
    await page.getByText(/^Error while transferring data to HubSpot: /).first().waitFor();

    // The dashboard's yellow box leads to the event's problems page.
    await page.goto(app.url + eventBase);
    const warning = page.getByTestId('sync-warning');
    await warning.getByText('Orders in this event could not be synced to an external system as configured.').waitFor();
    await warning.getByRole('link', { name: 'Show sync problems' }).click();
    await page.getByRole('heading', { name: 'Sync problems' }).waitFor();
    const problems = page.getByTestId('sync-problems');
    const row = problems.getByRole('row').filter({ hasText: earlier.code });
    await row.getByText('Provider reported a permanent error').waitFor();
    await row.getByText(/is not a number/).waitFor();
    await row.getByRole('cell', { name: 'HubSpot', exact: true }).waitFor();
    await page.getByTestId('sync-causes').getByText(/is not a number/).waitFor();

    // The organizer's Export → Data sync problems shows it too.
    await page.goto(app.url + org);
    await page.getByRole('link', { name: 'Data sync problems' }).click();
    await page.getByRole('heading', { name: 'Sync problems' }).waitFor();
    await problems.getByRole('row').filter({ hasText: earlier.code }).getByText('DemoCon 2026').waitFor();

    // Fix the mapping, Retry selected: the problem is gone and the order synced.
    await editDealMapping(page);
    await page.getByRole('button', { name: 'Delete row 2' }).click();
    await saveMapping(page);
    await page.goto(app.url + eventBase + '/sync-problems');
    await problems.getByRole('row').filter({ hasText: earlier.code }).waitFor();
    await page.getByLabel('Select all rows').check();
    await page.getByRole('button', { name: 'Retry selected' }).click();
    await problems.getByText('No problems.').waitFor();
    await page.goto(`${app.url}${eventBase}/orders/${earlier.code}`);
    await box.getByTestId('sync-record').filter({ hasText: /^Deal/ }).getByRole('link', { name: earlier.code }).waitFor();
    await box.getByRole('button', { name: 'Sync now' }).waitFor();
    assert.equal(await box.getByText(/^Error/).count(), 0);
    await page.goto(app.url + eventBase);
    await page.getByRole('heading', { name: 'DemoCon 2026' }).waitFor();
    await page.getByTestId('orders-total').filter({ hasText: /[1-9]/ }).waitFor();
    assert.equal((await apiCall(page, 'GET', eventBase + '/sync-warning')).body.data.has_problems, false);
    assert.equal(await page.getByTestId('sync-warning').count(), 0, 'the dashboard warning is gone');

    // Sync orders… on the orders list: two ticked orders, with progress.
    await page.goto(app.url + eventBase + '/orders');
    const ticks = page.getByRole('checkbox', { name: /^Select order / });
    await ticks.nth(1).waitFor();
    await ticks.nth(0).check();
    await ticks.nth(1).check();
    await page.getByRole('button', { name: 'Sync orders…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync orders' });
    await dialog.getByLabel('The 2 selected orders').waitFor();
    assert.ok(await dialog.getByLabel('The 2 selected orders').isChecked());
    await dialog.getByRole('button', { name: 'Sync 2 orders' }).click();
    const bulk = page.getByTestId('bulk-sync');
    await bulk.getByRole('heading', { name: 'Bulk sync finished' }).waitFor();
    await bulk.getByTestId('bulk-counts').getByText(/^2 of 2 orders handled: 2 transferred, 0 failed, 0 pending/).waitFor();
  });
});
