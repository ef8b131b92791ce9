// Marketing events as a user meets them: turn them on for an event, an order
// placed in pretix registers its attendee on the HubSpot marketing event, a
// scan at the door (the pretix emulator's scanner page) marks them attended.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startApp, startFakes, launchBrowser, withPage, createAdmin, apiCall, addOrganizerInUI, root, connectHubSpotToken } from './harness.mjs';

let app, fakes, browser, axeSource;

/** axe-core finds no serious or critical violation on the page. */
async function accessible(page, name) {
  await page.evaluate(axeSource);
  const res = await page.evaluate(async () => {
    // @ts-ignore axe is injected above
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  });
  assert.deepEqual(res, [], `${name}: axe-core serious/critical violations`);
}
const eventBase = '/organizers/democon/events/conf2026';

before(async () => {
  axeSource = await readFile(path.join(root, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
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

/** Polls the section's API until pick(events) is true. */
async function waitForEvents(page, pick, what) {
  const deadline = Date.now() + 30000;
  for (;;) {
    const r = await apiCall(page, 'GET', eventBase + '/hubspot/marketing-event');
    if (r.status === 200 && pick(r.body.data.events)) return r.body.data.events;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(r.body)}`);
    await page.waitForTimeout(250);
  }
}

test('marketing events: enable, an order registers its attendee, a scan marks them attended', async () => {
  await withPage(browser, 'marketing-event', async (page) => {
    await createAdmin(page, app.url);
    await addOrganizerInUI(page, fakes, app.url);
    await connectHubSpotToken(page, fakes, eventBase);
    assert.equal((await apiCall(page, 'POST', eventBase + '/mappings/suggestion')).status, 201);

    // The section on the HubSpot page: on, registered when placed, a type.
    await page.goto(app.url + eventBase + '/settings/hubspot');
    const section = page.getByTestId('marketing-event');
    await section.getByRole('heading', { name: 'Marketing event' }).waitFor();
    assert.equal(await section.getByTestId('marketing-missing-scopes').count(), 0);
    await section.getByLabel('Write this event to HubSpot as a marketing event, with its attendees').check();
    await section.getByLabel('Registered when').selectOption('placed');
    await section.getByLabel('Event type').fill('Conference');
    await section.getByRole('button', { name: 'Save marketing event' }).click();
    await section.getByText('New orders, payments, cancellations and check-ins are sent from now on.').waitFor();

    // An order placed in pretix (one whose ticket stands: the emulator also
    // places canceled ones): its webhook brings it, the sync registers it.
    let order;
    for (let i = 0; i < 50; i++) {
      const o = await fakes.placeOrder();
      if ((o.status === 'p' || o.status === 'n') && !o.require_approval && !o.positions[0].canceled) {
        order = o;
        break;
      }
    }
    assert.ok(order, 'no standing order placed');
    const events = await waitForEvents(page, (evs) => evs.length === 1 && evs[0].registered >= 1, 'no registration').catch(async (e) => {
      const box = await apiCall(page, 'GET', `${eventBase}/orders/${order.code}/sync`);
      throw new Error(`${e.message}; order ${order.status} ${JSON.stringify(order.positions.map((p) => [p.id, p.addon_to, p.attendee_email]))}; box ${JSON.stringify(box.body)}\n${app.logs().slice(-3000)}`);
    });
    await page.reload();
    const table = page.getByTestId('marketing-events');
    const link = table.getByRole('link', { name: events[0].name });
    await link.waitFor();
    const href = await link.getAttribute('href');
    assert.ok(href.startsWith(fakes.hubspot_app_base), href);

    // The emulator's marketing event page lists the attendee as registered.
    const ticket = order.positions.find((p) => !p.addon_to && !p.canceled);
    assert.ok(ticket, JSON.stringify(order.positions));
    const who = ticket.attendee_email || order.email;
    await page.goto(href);
    const row = page.getByTestId('participants').getByRole('row').filter({ hasText: who });
    await row.getByRole('cell').nth(1).getByText('REGISTERED', { exact: true }).waitFor();

    // A scan at the door, in the pretix emulator's scanner page.
    await page.goto(fakes.pretix_url + '/_fake/scan');
    await page.getByLabel('Event').selectOption('conf2026');
    await page.getByLabel('Order code').fill(order.code);
    await page.getByRole('button', { name: 'Scan' }).click();
    await page.getByRole('status').getByText(`Checked in: order ${order.code}`).waitFor();

    // The check-in webhook brings the scan; the attendee is attended.
    await page.goto(app.url + eventBase + '/settings/hubspot');
    await waitForEvents(page, (evs) => evs[0]?.attended >= 1, 'no attendance');
    await page.goto(href);
    const attendedRow = page.getByTestId('participants').getByRole('row').filter({ hasText: who });
    await attendedRow.getByRole('cell').nth(1).getByText('ATTENDED', { exact: true }).waitFor();
    assert.equal((await attendedRow.getByRole('cell').nth(3).textContent()).trim(), 'REGISTERED, ATTENDED');

    // Back in the app, the section counts it.
    await page.goto(app.url + eventBase + '/settings/hubspot');
    const cells = page.getByTestId('marketing-events').getByRole('row').nth(1).getByRole('cell');
    await cells.nth(2).getByText('1', { exact: true }).waitFor();
    await accessible(page, 'HubSpot page with the marketing event');
  });
});

test('sync activity: after a bulk run, the chart and the runs table show it', async () => {
  await withPage(browser, 'sync-activity', async (page) => {
    await page.goto(app.url + '/login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('current-user').waitFor();
    const bulk = await apiCall(page, 'POST', eventBase + '/sync-bulk', { all: true });
    assert.ok(bulk.status === 200 || bulk.status === 202, JSON.stringify(bulk.body));
    const deadline = Date.now() + 30000;
    for (;;) {
      const cur = await apiCall(page, 'GET', `${eventBase}/sync-bulk/${bulk.body.data.id}`);
      const p = cur.body?.data;
      if (p && p.pending === 0 && p.done > 0) break;
      if (Date.now() > deadline) throw new Error('bulk run did not finish: ' + JSON.stringify(cur.body));
      await page.waitForTimeout(250);
    }

    await page.goto(app.url + '/organizers/democon');
    await page.getByRole('link', { name: 'Sync activity' }).click();
    await page.getByRole('heading', { name: 'Sync activity', level: 1 }).waitFor();
    await page.getByTestId('activity-chart').waitFor();
    const totals = await page.getByTestId('activity-totals').textContent();
    const [, orders, requests] = totals.match(/(\d+) orders synced, (\d+) HubSpot requests/);
    assert.ok(Number(orders) >= 2 && Number(requests) > 0, totals);
    const runs = page.getByTestId('activity-runs');
    await runs.getByRole('cell', { name: /^Bulk sync/ }).first().waitFor();
    await runs.getByRole('cell', { name: /^Live sync/ }).first().waitFor();
    await runs.getByRole('cell', { name: 'Pull from pretix' }).first().waitFor();
    await accessible(page, 'Sync activity');
    // One event's runs only: no pulls.
    await page.getByTestId('activity-event').selectOption('conf2026');
    await runs.getByRole('cell', { name: 'Pull from pretix' }).first().waitFor({ state: 'detached' });
    await runs.getByRole('cell', { name: /^Bulk sync/ }).first().waitFor();

    // A mapping edit that changes what the synced orders would send: the
    // editor says how many are affected and re-syncs exactly those.
    const synced = await apiCall(page, 'GET', eventBase + '/sync-summary');
    await page.goto(app.url + eventBase + '/settings/hubspot');
    await page.getByTestId('object-mapping').first().getByRole('link', { name: 'Edit mapping' }).click();
    await page.getByRole('heading', { name: 'Properties' }).waitFor();
    await page.getByRole('combobox', { name: 'HubSpot Field, row 1', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Add property' }).click();
    await page.getByLabel(/^pretix Field, row \d+$/).last().selectOption({ label: 'Order phone number [Phone number]' });
    const prop = page.getByRole('combobox', { name: /^HubSpot Field, row \d+$/ }).last();
    await prop.fill('phone');
    await page.getByRole('option', { name: /^Phone Number \(phone \|/ }).click();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const prompt = page.getByTestId('resync-prompt');
    const text = await prompt.getByText(/This change affects \d+ orders? already synced to HubSpot/).textContent();
    const n = Number(text.match(/affects (\d+)/)[1]);
    assert.ok(n >= 2, `${text} (summary ${JSON.stringify(synced.body?.data?.counts)})`);
    await accessible(page, 'the re-sync prompt');
    const [started] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/sync-bulk') && r.request().method() === 'POST'),
      prompt.getByRole('button', { name: 'Re-sync them now' }).click(),
    ]);
    const run = (await started.json()).data;
    assert.equal(run.total, n, JSON.stringify(run));
    assert.equal(run.selection, 'mapping');
    await page.waitForURL(/\/orders$/);
  });
});
