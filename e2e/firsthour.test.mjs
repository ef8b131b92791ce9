// The first hour as a user, at a desktop's 1366 × 900 and a phone's
// 390 × 844 (issue 12): orders placed during setup wait instead of failing,
// the guide's mapping saves without ⚠ while Order status → Deal Stage
// without value map has one, leaving the editor with unsaved edits asks,
// e-mails read in Unicode, record links are labelled, unique and open,
// the orders list moves by itself, causes are grouped with counts and
// "Retry these N", Sync now sends what pretix holds now, no page is wider
// than the phone, and axe-core finds no serious or critical violation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { startApp, startFakes, launchBrowser, createAdmin, apiCall, artifacts, root, addOrganizerInUI, walkConsent } from './harness.mjs';

let browser, axeSource;
before(async () => {
  browser = await launchBrowser();
  axeSource = await readFile(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
});
after(async () => {
  await browser?.close();
});

const org = '/organizers/democon';
const eventBase = org + '/events/conf2026';

const fieldPicker = (page, row) => page.getByLabel(`pretix Field, row ${row}`, { exact: true });
const propertyPicker = (page, row) => page.getByRole('combobox', { name: `HubSpot Field, row ${row}`, exact: true });

async function pickProperty(page, row, search, option) {
  await propertyPicker(page, row).fill(search);
  await page.getByRole('option', { name: option }).click();
  assert.equal(await propertyPicker(page, row).inputValue(), option);
}

/** Waits until check() is truthy, polling the API (not the page). */
async function until(what, check, ms = 20000) {
  for (const deadline = Date.now() + ms; ; ) {
    const v = await check();
    if (v) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The HubSpot part of an order's box, through the API. */
async function box(page, code) {
  const r = await apiCall(page, 'GET', `${eventBase}/orders/${code}/sync`);
  return r.body.data.providers.find((p) => p.provider === 'hubspot');
}

/** No sync problem and no yellow box: the state the whole setup must keep. */
async function noProblems(page, when) {
  const w = await apiCall(page, 'GET', `${eventBase}/sync-warning`);
  assert.equal(w.body.data.has_problems, false, `sync warning ${when}`);
  const p = await apiCall(page, 'GET', `${eventBase}/sync-problems`);
  assert.equal(p.body.data.total, 0, `sync problems ${when}: ${JSON.stringify(p.body.data.items.map((i) => i.error))}`);
}

/** The page is no wider than the screen, and axe-core is content. */
async function pageIsFine(page, width, name, shots) {
  await page.waitForLoadState('networkidle').catch(() => {});
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(sw <= width, `${name}: the page is ${sw} px wide at ${width} px`);
  console.log(`# width ${width}: ${name} ${sw} px`);
  assert.equal(await page.locator('main').count(), 1, `${name}: one <main>`);
  // Evaluated, not injected as a <script>: the app's CSP rightly refuses that.
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => {
    // @ts-ignore axe is injected above
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(res, [], `${name}: axe-core serious/critical violations`);
  await mkdir(shots, { recursive: true });
  await page.screenshot({ path: path.join(shots, name + '.png'), fullPage: true });
}

for (const [label, width, height] of [
  ['desktop', 1366, 900],
  ['phone', 390, 844],
]) {
  test(`the first hour on a ${label} (${width} × ${height})`, async () => {
    const fakes = await startFakes({ orders: 12 });
    const app = await startApp({
      env: {
        PRETIX_HUBSPOT_HUBSPOT_API_BASE: fakes.hubspot_api_base,
        PRETIX_HUBSPOT_HUBSPOT_APP_BASE: fakes.hubspot_app_base,
        PRETIX_HUBSPOT_HUBSPOT_CLIENT_ID: fakes.hubspot_client_id,
        PRETIX_HUBSPOT_HUBSPOT_CLIENT_SECRET: fakes.hubspot_client_secret,
      },
    });
    const context = await browser.newContext({ viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const shots = path.join(artifacts, 'firsthour-' + label);
    const dialogs = [];
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await (dialogs.length === 1 ? d.dismiss() : d.accept());
    });
    try {
      await createAdmin(page, app.url);

      // Connect pretix (the form), point pretix's webhook at the app.
      await addOrganizerInUI(page, fakes, app.url);

      // Enable HubSpot; the guide's consent pages, page by page.
      await page.goto(app.url + eventBase + '/settings/plugins');
      await page.getByRole('button', { name: 'Enable' }).click();
      await page.getByRole('link', { name: 'Open Settings → HubSpot to connect it' }).click();
      await page.getByRole('button', { name: 'Request access' }).click();
      await page.getByRole('heading', { name: 'Connecting pretix to HubSpot' }).waitFor();
      await page.getByRole('button', { name: 'Create a new HubSpot account' }).waitFor();
      await walkConsent(page);
      await page.getByText('The HubSpot integration is now active').waitFor();
      await pageIsFine(page, width, '1-hubspot-connected', shots);

      // An order arrives before any mapping: it waits, nothing is a problem.
      const early = await fakes.placeOrder('conf2026');
      const waiting = await until('the early order to wait for a mapping', async () => {
        const b = await box(page, early.code).catch(() => null);
        return b?.job?.wait_code === 'setup' && b.job;
      });
      assert.match(waiting.wait_reason, /^Waiting for a HubSpot mapping/);
      await noProblems(page, 'before the first mapping');
      await page.goto(`${app.url}${eventBase}/orders/${early.code}`);
      await page.getByTestId('order-sync-box').getByText(/Waiting for a HubSpot mapping/).waitFor();

      // The guide's mapping (the suggestion): zero ⚠; the early order goes.
      await page.goto(app.url + eventBase + '/settings/hubspot');
      await page.getByRole('button', { name: 'Use this mapping' }).click();
      const contactRow = page.getByTestId('object-mapping').filter({ hasText: 'Order email → Email' });
      await contactRow.getByText('OK', { exact: true }).waitFor();
      assert.equal(await contactRow.getByText(/warning/).count(), 0, "the guide's mapping shows no ⚠");
      await until('the early order to sync', async () => (await box(page, early.code)).results.length > 0);
      await pageIsFine(page, width, '2-mappings', shots);
      await contactRow.getByRole('link', { name: 'Edit mapping' }).click();
      await propertyPicker(page, 8).waitFor();
      assert.equal(await page.getByTestId('row-warning').count(), 0, 'no ⚠ in the editor');
      assert.ok((await page.getByTestId('row-hint').count()) >= 0);
      await pageIsFine(page, width, '3-editor-guide-mapping', shots);

      // A deal mapping by order code: its identifier property does not
      // exist yet, so orders wait for it and the editor says how many.
      await page.goto(app.url + eventBase + '/settings/hubspot');
      await page.getByRole('button', { name: 'Add mapping' }).click();
      await page.getByLabel('HubSpot object type').selectOption({ label: 'Deals' });
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.waitForURL(/\/settings\/hubspot\/mappings\/\d+$/);
      await propertyPicker(page, 1).waitFor();
      const second = await fakes.placeOrder('conf2026');
      await until('the second order to wait for the property', async () => {
        const b = await box(page, second.code).catch(() => null);
        return b?.job?.wait_code === 'setup' && /pretix_order_id.*does not exist yet/.test(b.job.wait_reason);
      });
      await noProblems(page, 'while the deal property is missing');
      await page.reload();
      await page.getByTestId('waiting-orders').getByText(/1 order waits/).waitFor();

      // Order status → Deal Stage without a value map: one ⚠.
      await page.getByRole('button', { name: 'Add property' }).click();
      await fieldPicker(page, 2).selectOption({ label: 'Order status [Choose one from a list]' });
      await pickProperty(page, 2, 'deal stage', 'Deal Stage (dealstage | enumeration)');
      await page.getByRole('button', { name: 'Warning, row 2' }).waitFor();
      assert.match(await page.getByRole('button', { name: 'Warning, row 2' }).getAttribute('title'), /No HubSpot value is chosen for “Pending” \(n\), “Paid” \(p\)/);

      // Leaving with unsaved edits asks: first "stay", then "leave".
      await page.getByRole('link', { name: '← HubSpot Integration' }).click();
      await until('the unsaved-changes question', async () => dialogs.length === 1);
      assert.match(dialogs[0], /unsaved changes/);
      assert.match(page.url(), /\/mappings\/\d+$/, 'stayed in the editor');

      // The value map names the stages; the dialog claims only what it did.
      await page.getByRole('button', { name: 'Edit value mapping' }).click();
      const dialog = page.getByRole('dialog', { name: 'Edit value mapping' });
      await dialog.getByLabel('Paid').waitFor();
      assert.equal(await dialog.getByText('filled in for you').count(), 0);
      for (const status of ['Pending', 'Paid', 'Expired', 'Canceled']) await dialog.getByLabel(status).selectOption({ index: 1 });
      await dialog.getByRole('button', { name: 'Apply' }).click();
      await page.getByRole('button', { name: 'Warning, row 2' }).waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Create “pretix_order_id” and save' }).click();
      await page.getByText('The mapping was saved.').waitFor();
      await page.getByText('Unsaved changes').waitFor({ state: 'detached' });
      await until('the second order to sync once the property exists', async () => (await box(page, second.code)).results.length >= 2);
      await page.goto(app.url + eventBase + '/settings/hubspot');
      await page.getByTestId('object-mapping').filter({ hasText: 'pretix order ID' }).getByText('OK', { exact: true }).waitFor();
      await noProblems(page, 'after the setup');

      // The order page: Unicode e-mails, labelled unique record links that open.
      const list = (await apiCall(page, 'GET', `${eventBase}/orders?page_size=200`)).body.data.orders;
      const idn = list.find((o) => /[^\x00-\x7f]/.test(o.email.split('@')[1] || '') && o.email.split('@')[0].length < 30);
      assert.ok(idn, 'an order with an internationalised e-mail domain');
      await page.goto(`${app.url}${eventBase}/orders/${idn.code}`);
      const sbox = page.getByTestId('order-sync-box');
      await sbox.getByRole('button', { name: 'Sync now' }).click();
      const buyer = sbox.getByTestId('sync-record').filter({ hasText: 'Contact — buyer' });
      await buyer.waitFor();
      assert.ok((await buyer.textContent()).includes(idn.email.toLowerCase()), `Unicode e-mail in the box: ${await buyer.textContent()}`);
      assert.equal(await page.getByText(/xn--/).count(), 0, `no Punycode on the order page: ${await page.getByText(/xn--/).allTextContents()}`);
      const links = await sbox.getByTestId('sync-record').getByRole('link').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
      assert.equal(new Set(links).size, links.length, `one link per record: ${links}`);
      await sbox.getByTestId('sync-record').filter({ hasText: /^Deal/ }).waitFor();
      const recordID = (await buyer.getByRole('link').getAttribute('href')).split('/').pop();
      const [recordPage] = await Promise.all([context.waitForEvent('page'), buyer.getByRole('link').click()]);
      await recordPage.getByRole('heading', { level: 1 }).waitFor();
      assert.ok((await recordPage.textContent('body')).includes(`Record ${recordID}`), 'the link opens the HubSpot record');
      await recordPage.close();
      await pageIsFine(page, width, '4-order', shots);

      // Sync now after a change in pretix that no webhook reported.
      const city = 'Neustadt an der Weinstraße ' + label;
      await fetch(`${fakes.pretix_url}/_fake/orders/${idn.code}/city?event=conf2026&webhook=0&city=${encodeURIComponent(city)}`, { method: 'POST' });
      await sbox.getByRole('button', { name: 'Sync now' }).click();
      await sbox.getByRole('button', { name: 'Sync now' }).waitFor();
      await until('the new city in HubSpot', async () => {
        const href = await buyer.getByRole('link').getAttribute('href');
        const html = await (await fetch(href)).text();
        return html.includes(city);
      });

      // The orders list moves by itself and shows each order's sync state.
      await page.goto(app.url + eventBase + '/orders');
      await page.getByTestId('order-sync-state').first().waitFor();
      const fresh = await fakes.placeOrder('conf2026');
      const freshRow = page.getByRole('row').filter({ hasText: fresh.code });
      await freshRow.waitFor({ timeout: 20000 });
      await freshRow.getByTestId('order-sync-state').getByText('Synced').waitFor({ timeout: 20000 });
      await pageIsFine(page, width, '5-orders', shots);

      // Break the contact mapping for some orders: the order code into a
      // number property. Each message names its order's value; the cause is
      // one, with its count, a fix-it link and Retry these N.
      await page.goto(app.url + eventBase + '/settings/hubspot');
      await page.getByTestId('object-mapping').filter({ hasText: 'Order email → Email' }).getByRole('link', { name: 'Edit mapping' }).click();
      await propertyPicker(page, 8).waitFor();
      await page.getByRole('button', { name: 'Add property' }).click();
      await fieldPicker(page, 9).selectOption({ label: 'Order code [Text (one line)]' });
      await pickProperty(page, 9, 'annualrevenue', 'Annual Revenue (annualrevenue | number)');
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('The mapping was saved.').waitFor();
      const broken = list.filter((o) => o.email && o.code !== idn.code).slice(0, 3);
      const bulk = await apiCall(page, 'POST', `${eventBase}/sync-bulk`, { order_ids: broken.map((o) => o.id) });
      assert.equal(bulk.status, 202, JSON.stringify(bulk.body));
      await until('three problems', async () => (await apiCall(page, 'GET', `${eventBase}/sync-problems`)).body.data.total === 3);
      await page.goto(app.url + eventBase);
      await page.getByTestId('sync-summary').getByTestId('sync-failed').getByText('3').waitFor();
      await page.getByTestId('sync-warning').getByRole('link', { name: 'Show sync problems' }).click();
      const cause = page.getByTestId('sync-cause');
      await cause.first().waitFor();
      assert.equal(await cause.count(), 1, 'one cause for three orders');
      await cause.getByText('3×').waitFor();
      await cause.getByRole('link', { name: 'Open the mapping' }).waitFor();
      await pageIsFine(page, width, '6-sync-problems', shots);
      await page.goto(app.url + org + '/export/sync-problems');
      await page.getByTestId('sync-cause').getByText('3×').waitFor();
      await page.getByTestId('sync-problems').getByText('DemoCon 2026').first().waitFor();
      await pageIsFine(page, width, '7-organizer-sync-problems', shots);

      // Fix it from the cause's link, then Retry these 3.
      await page.getByTestId('sync-cause').getByRole('link', { name: 'Open the mapping' }).click();
      await page.getByRole('button', { name: 'Delete row 9' }).click();
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.getByText('The mapping was saved.').waitFor();
      await page.goto(app.url + eventBase + '/sync-problems');
      await page.getByTestId('sync-cause').getByRole('button', { name: 'Retry these 3' }).click();
      await page.getByTestId('sync-problems').getByText('No problems.').waitFor({ timeout: 20000 });
      await noProblems(page, 'after the fix');

      // The dashboard's picture.
      await page.goto(app.url + eventBase);
      const summary = page.getByTestId('sync-summary');
      await summary.getByTestId('sync-failed').getByText('0').waitFor();
      assert.notEqual(await summary.getByTestId('sync-last').textContent(), 'nothing sent yet');
      await page.getByTestId('tz-rule').getByText(/Europe\/Berlin/).waitFor();
      await pageIsFine(page, width, '8-dashboard', shots);
    } catch (e) {
      await mkdir(shots, { recursive: true });
      await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
      e.message += `\n(screenshot: ${path.join(shots, 'failure.png')})\n--- app ---\n${app.logs().slice(-3000)}`;
      throw e;
    } finally {
      await context.close();
      await app.stop();
      await fakes.stop();
    }
  });
}
