// The "Sync orders…" dialog says what a run costs before it starts: the
// HubSpot requests, the time at the account's limit and, for a private app
// (whose answers carry the daily limit), how much of today's limit it uses.
// A run that needs more than what is left starts only when confirmed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startFakes, launchBrowser, withPage, createAdmin, apiCall, addOrganizerInUI, connectHubSpotToken } from './harness.mjs';

let app, fakes, browser;
const eventBase = '/organizers/democon/events/conf2026';

before(async () => {
  fakes = await startFakes({ orders: 30 });
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

test('bulk estimate: requests and time before a run; a run past the daily limit needs Start anyway', async () => {
  await withPage(browser, 'bulk-estimate', async (page) => {
    await createAdmin(page, app.url);
    await addOrganizerInUI(page, fakes, app.url);
    await connectHubSpotToken(page, fakes, eventBase);
    assert.equal((await apiCall(page, 'POST', eventBase + '/mappings/suggestion')).status, 201);

    // Plenty left today: the estimate, counted from the mappings.
    await page.goto(app.url + eventBase + '/orders');
    await page.getByRole('button', { name: 'Sync orders…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Sync orders' });
    const est = dialog.getByTestId('bulk-estimate');
    await est.getByTestId('estimate-requests').waitFor();
    const text = (await est.textContent()).replace(/\s+/g, ' ');
    assert.match(text, /HubSpot: about \d+ requests? for \d+ orders? \(counted from the mappings; no bulk run of this event yet\)/);
    assert.match(text, /taking under a minute at the account's limit of \d+ requests per 10 seconds/);
    // No daily limit reported yet (the emulator has none until told).
    assert.doesNotMatch(text, /today's limit/);
    assert.equal(await est.getByTestId('estimate-daily').count(), 0);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // One request left, and that one spent on a property refresh: the
    // run would exhaust today's limit, so it needs a confirmation.
    await fakes.leaveDaily(1);
    assert.equal((await apiCall(page, 'GET', eventBase + '/hubspot/properties/contacts?refresh=1')).status, 200);
    await page.getByRole('button', { name: 'Sync orders…' }).click();
    const warn = est.getByTestId('estimate-daily');
    await warn.waitFor();
    assert.match((await warn.textContent()).replace(/\s+/g, ' '), /more than what is left of today's HubSpot limit/);
    assert.match((await est.textContent()).replace(/\s+/g, ' '), /It uses \d+ of the 0 requests left of today's limit of \d+\./);
    const start = dialog.getByRole('button', { name: /^Sync \d+ orders$/ });
    assert.equal(await start.isDisabled(), true, 'Start waits for the confirmation');
    await warn.getByLabel('Start anyway').check();
    await start.click();
    await page.getByTestId('bulk-sync').getByRole('heading', { name: 'Syncing orders' }).waitFor();
  });
});
