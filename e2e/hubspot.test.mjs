// The HubSpot connection as a user meets it: app settings, the event's
// Plugins page, Request access through the emulator's consent pages, the
// status box, Disconnect, and a denied consent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startFakes, launchBrowser, withPage, createAdmin, apiCall, connectOrganizer, walkConsent } from './harness.mjs';

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

/** Clicks Request access and walks the emulator's consent pages. */
async function consent(page, decision) {
  await page.getByRole('button', { name: 'Request access' }).click();
  await walkConsent(page, decision);
  await page.waitForURL((u) => u.pathname === eventBase + '/settings/hubspot');
}

test('admin sets up the HubSpot app, enables the plugin, connects through consent, disconnects; a denial is explained', async () => {
  await withPage(browser, 'hubspot-connect', async (page) => {
    await createAdmin(page, app.url);

    // Settings: the HubSpot app.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'HubSpot app' }).waitFor();
    assert.equal(await page.getByTestId('hubspot-redirect-uri').textContent(), app.url + '/oauth/hubspot/callback');
    await page.getByText('crm.schemas.deals.write').first().waitFor();
    await page.getByLabel('Client ID').fill(fakes.hubspot_client_id);
    await page.getByLabel('Client secret').fill(fakes.hubspot_client_secret);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('hubspot-app-saved').waitFor();
    // The secret is never shown again.
    await page.reload();
    await page.getByText('A secret is saved; it is never shown again.').waitFor();
    assert.equal(await page.getByLabel('Client secret').inputValue(), '');
    assert.ok(!(await page.content()).includes(fakes.hubspot_client_secret), 'the client secret is in the page');

    // An event in the app, its Plugins page, Enable.
    await connectOrganizer(page, fakes);
    await page.goto(app.url + eventBase + '/settings/plugins');
    await page.getByRole('tab', { name: 'Integrations' }).waitFor();
    const sidebar = page.getByRole('navigation', { name: 'Event' });
    await sidebar.getByRole('link', { name: 'Plugins' }).waitFor();
    assert.equal(await sidebar.getByRole('link', { name: 'HubSpot' }).count(), 0);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    await sidebar.getByRole('link', { name: 'HubSpot' }).click();

    // HubSpot Integration: Request access through the consent pages.
    await page.getByRole('heading', { name: 'HubSpot Integration' }).waitFor();
    await consent(page, 'Connect app');
    await page.getByText('The HubSpot integration is now active').waitFor();
    const box = page.getByTestId('hubspot-status');
    await box.getByText('Connected', { exact: true }).waitFor();
    assert.equal((await box.getByTestId('hubspot-portal').textContent()).trim(), String(fakes.hubspot_portals[0]));
    await box.getByText('pretix-demo.example').waitFor();
    await box.getByText('OAuth (Request access)').waitFor();
    await box.getByText('crm.objects.deals.write').waitFor();
    await box.getByText('Token expiry').waitFor();
    await page.getByRole('heading', { name: 'Object mappings' }).waitFor();

    // Disconnect, with a confirmation that says what happens.
    await box.getByRole('button', { name: 'Disconnect' }).click();
    const dialog = page.getByRole('dialog', { name: /Disconnect HubSpot account/ });
    await dialog.getByText('Object mappings, sync results and queued syncs are kept.').waitFor();
    await dialog.getByText(/wait until it is reconnected/).waitFor();
    await dialog.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByText("This event's HubSpot account was disconnected.").waitFor();
    await page.getByRole('button', { name: 'Request access' }).waitFor();
    assert.equal(await page.getByTestId('hubspot-status').count(), 0);

    // A denied consent lands back here with its own message.
    await consent(page, 'Cancel');
    await page.getByTestId('hubspot-connect-error').getByText('Access was not granted in HubSpot').waitFor();
    assert.match(page.url(), /\?error=hubspot_access_denied$/);
    assert.equal(await page.getByTestId('hubspot-status').count(), 0);

    // Connecting again works from the same page.
    await consent(page, 'Connect app');
    await page.getByText('The HubSpot integration is now active').waitFor();
    await page.getByTestId('hubspot-status').waitFor();
  });
});

test('the private app token form checks the token with HubSpot and shows field errors inline', async () => {
  await withPage(browser, 'hubspot-token', async (page) => {
    await page.goto(app.url + '/login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('current-user').waitFor();
    // The first test left conf2026 connected; use the second event.
    await page.goto(app.url + '/organizers/democon/events/workshops/settings/hubspot');
    await page.getByRole('heading', { name: 'HubSpot Integration' }).waitFor();
    await page.getByText('Use a private app token instead').click();
    await page.getByLabel('Token').fill('pat-eu1-not-a-real-token');
    await page.getByRole('button', { name: 'Check and save token' }).click();
    await page.locator('#hs-token-error').filter({ hasText: 'HubSpot rejected this token.' }).waitFor();
    assert.equal(await page.getByTestId('hubspot-status').count(), 0);
    // The emulator's private app token may not read the account details, so
    // the form asks for the account id next to that field.
    await page.getByLabel('Token').fill(fakes.hubspot_static_token);
    await page.getByRole('button', { name: 'Check and save token' }).click();
    await page.locator('#hs-hub-id-error').filter({ hasText: 'Required for this key.' }).waitFor();
    await page.getByLabel('HubSpot account ID (optional)').fill(String(fakes.hubspot_portals[0]));
    await page.getByRole('button', { name: 'Check and save token' }).click();
    await page.getByText('The HubSpot integration is now active').waitFor();
    const box = page.getByTestId('hubspot-status');
    await box.getByText('Private app token / service key').waitFor();
    await box.getByText('Does not expire').waitFor();
    // Shared with conf2026, which the first test connected to the same account.
    await box.getByText(/1 other event/).waitFor();
  });
});
