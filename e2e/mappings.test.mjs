// The mapping editor as a user meets it: build the pretix guide's example
// mapping (Order → Contacts by Order email plus seven Overwrite rows), see
// the ⚠ of an incompatible row with its tooltip, edit a value map, save,
// reload and find everything unchanged; then a deal mapping by order code
// that needs — and gets — a unique HubSpot property.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startApp, startFakes, launchBrowser, withPage, createAdmin, apiCall, connectOrganizer } from './harness.mjs';

let app, fakes, browser;
const eventBase = '/organizers/democon/events/conf2026';
const hubspotPage = eventBase + '/settings/hubspot';

before(async () => {
  fakes = await startFakes({ orders: 10 });
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

/** Connects pretix and HubSpot (private app token) for conf2026 through the API. */
async function connectEvent(page) {
  await connectOrganizer(page, fakes);
  const p = await apiCall(page, 'PUT', eventBase + '/plugins/hubspot', { enabled: true });
  assert.equal(p.status, 200, JSON.stringify(p.body));
  const t = await apiCall(page, 'POST', eventBase + '/hubspot/token', {
    token: fakes.hubspot_static_token,
    hub_id: String(fakes.hubspot_portals[0]),
  });
  assert.equal(t.status, 200, JSON.stringify(t.body));
}

async function signIn(page) {
  await page.goto(app.url + '/login');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('current-user').waitFor();
}

const fieldPicker = (page, row) => page.getByLabel(`pretix Field, row ${row}`, { exact: true });
const propertyPicker = (page, row) => page.getByRole('combobox', { name: `HubSpot Field, row ${row}`, exact: true });
const modePicker = (page, row) => page.getByLabel(`Mode, row ${row}`, { exact: true });

/**
 * Chooses a HubSpot property by typing into the searchable picker, then
 * clicking the option — or, with keyboard, moving to it with the arrow keys
 * and pressing Enter.
 */
async function pickProperty(page, row, search, option, keyboard = false) {
  const input = propertyPicker(page, row);
  if (keyboard) {
    await input.focus();
    await page.keyboard.type(search);
    const options = page.getByRole('listbox', { name: `HubSpot Field, row ${row}: options` }).getByRole('option');
    await options.first().waitFor();
    const names = await options.allTextContents();
    const at = names.findIndex((n) => n.startsWith(option));
    assert.ok(at >= 0, `${option} not offered for "${search}": ${names}`);
    for (let i = 0; i < at; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
  } else {
    await input.fill(search);
    await page.getByRole('option', { name: option }).click();
  }
  assert.equal(await input.inputValue(), option, `row ${row}`);
}

/** Adds a property row and fills it. */
async function addRow(page, row, fieldLabel, search, option, mode, keyboard = false) {
  await page.getByRole('button', { name: 'Add property' }).click();
  await fieldPicker(page, row).selectOption({ label: fieldLabel });
  await pickProperty(page, row, search, option, keyboard);
  if (mode) await modePicker(page, row).selectOption({ label: mode });
}

/** Reads the whole table: [field, property text, mode] per row. */
async function readTable(page) {
  const rows = await page.getByTestId('mapping-row').count();
  const out = [];
  for (let i = 1; i <= rows; i++) {
    const mode = i === 1 ? await page.locator('#row-0-mode').textContent() : await modePicker(page, i).inputValue();
    out.push([await fieldPicker(page, i).inputValue(), await propertyPicker(page, i).inputValue(), mode]);
  }
  return out;
}

// The pretix guide's example, after the identifier row.
const guideRows = [
  ['Invoice address: Given name [Text (one line)]', 'first', 'First Name (firstname | string)'],
  ['Invoice address: Family name [Text (one line)]', 'name', 'Last Name (lastname | string)'],
  ['Invoice address street [Text (one line)]', 'street', 'Street Address (address | string)'],
  ['Invoice address ZIP code [Text (one line)]', 'zip', 'Postal Code (zip | string)'],
  ['Invoice address city [Text (one line)]', 'city', 'City (city | string)'],
  ['Invoice address country [Country code (ISO 3166-1 alpha-2)]', 'hs_country', 'Country/Region Code (hs_country_region_code | string)'],
  ['Invoice address company [Text (one line)]', 'company', 'Company Name (company | string)'],
];

test("the pretix guide's example mapping, a ⚠, a value map: saved and unchanged after reload", async () => {
  await withPage(browser, 'mappings-guide', async (page) => {
    await createAdmin(page, app.url);
    await connectEvent(page);
    await page.goto(app.url + hubspotPage);
    await page.getByRole('heading', { name: 'Object mappings' }).waitFor();
    // Connected and no mappings yet: the suggestion is offered.
    await page.getByRole('heading', { name: 'Suggested mapping' }).waitFor();

    await page.getByRole('button', { name: 'Add mapping' }).click();
    await page.getByLabel('pretix object type').selectOption({ label: 'Order' });
    await page.getByLabel('HubSpot object type').selectOption({ label: 'Contacts' });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/settings\/hubspot\/mappings\/\d+$/);
    await page.getByRole('heading', { name: 'Properties' }).waitFor();

    // Row 1: the identifier, Order email → Email, mode fixed.
    await fieldPicker(page, 1).selectOption({ label: 'Order email [Text (one line)]' });
    await pickProperty(page, 1, 'email', 'Email (email | string)');
    assert.equal(await page.locator('#row-0-mode').textContent(), 'Identifier');

    for (const [i, [label, search, option]] of guideRows.entries()) {
      await addRow(page, i + 2, label, search, option, undefined, i % 2 === 1);
      assert.equal(await modePicker(page, i + 2).inputValue(), 'overwrite');
    }
    await page.getByText('Empty values clear the HubSpot field.').first().waitFor();

    // Row 9: deliberately incompatible — a number into a yes/no property.
    await addRow(page, 9, 'Order total [Number]', 'unsub', 'Unsubscribed from all email (hs_email_optout | bool)', 'Fill if empty');
    const warn = page.getByRole('button', { name: 'Warning, row 9' });
    await warn.waitFor();
    assert.match(await warn.getAttribute('title'), /only true or false/);
    await warn.focus();
    const tip = page.getByRole('tooltip').filter({ hasText: 'only true or false' });
    await tip.waitFor();
    assert.equal(await page.locator('#' + (await warn.getAttribute('aria-describedby'))).textContent(), await warn.getAttribute('title'));

    // Row 10: order status → lifecycle stage with a value map.
    await addRow(page, 10, 'Order status [Choose one from a list]', 'lifecycle', 'Lifecycle Stage (lifecyclestage | enumeration)');
    await page.getByRole('button', { name: 'Warning, row 10' }).waitFor(); // options without a HubSpot value
    await page.getByRole('button', { name: 'Edit value mapping' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit value mapping' });
    await dialog.getByLabel('Paid').waitFor();
    await dialog.getByLabel('Pending').selectOption('lead');
    await dialog.getByLabel('Paid').selectOption('customer');
    await dialog.getByLabel('Expired').selectOption('other');
    await dialog.getByLabel('Canceled').selectOption('other');
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Warning, row 10' }).waitFor({ state: 'detached' });

    // Row 11: order locale → preferred language, pre-filled by matching codes.
    await addRow(page, 11, 'Order locale [Choose one from a list]', 'language', 'Preferred language (hs_language | enumeration)', 'Fill if new');
    await page.getByRole('button', { name: 'Edit value mapping' }).nth(1).click();
    await dialog.getByLabel('English').waitFor();
    assert.equal(await dialog.getByLabel('English').inputValue(), 'en');
    assert.equal(await dialog.getByLabel('German').inputValue(), 'de');
    assert.equal(await dialog.getByText('matched').count(), 2);
    await dialog.getByRole('button', { name: 'Apply' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const before = await readTable(page);
    assert.equal(before.length, 11);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('The mapping was saved.').waitFor();
    await page.getByText('Unsaved changes').waitFor({ state: 'detached' });

    await page.reload();
    await page.getByRole('heading', { name: 'Properties' }).waitFor();
    await propertyPicker(page, 11).waitFor();
    assert.deepEqual(await readTable(page), before);
    assert.deepEqual(before[0], ['email', 'Email (email | string)', 'Identifier']);
    assert.deepEqual(before[6], ['invoice_address_country', 'Country/Region Code (hs_country_region_code | string)', 'overwrite']);
    assert.deepEqual(before[8].slice(2), ['if_empty']);
    await page.getByRole('button', { name: 'Warning, row 9' }).waitFor();
    await page.getByRole('button', { name: 'Edit value mapping' }).first().click();
    await dialog.getByLabel('Paid').waitFor();
    assert.equal(await dialog.getByLabel('Pending').inputValue(), 'lead');
    assert.equal(await dialog.getByLabel('Paid').inputValue(), 'customer');
    assert.equal(await dialog.getByLabel('Canceled').inputValue(), 'other');
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // The preview shows what an order would send.
    await page.getByLabel('Order', { exact: true }).fill((await apiCall(page, 'GET', eventBase + '/mappings/preview-orders')).body.data[0].code);
    await page.getByRole('button', { name: 'Preview' }).click();
    const preview = page.getByRole('table', { name: /^Preview of Order / });
    await preview.waitFor();
    assert.equal(await preview.getByRole('row').count(), 12);

    // The mappings table lists it.
    await page.getByRole('link', { name: '← HubSpot Integration' }).click();
    const row = page.getByTestId('object-mapping');
    await row.filter({ hasText: 'Order email → Email' }).waitFor();
    assert.equal(await row.count(), 1);
    await row.filter({ hasText: /\d+ warnings?/ }).waitFor();
  });
});

test('a deal mapping by order code offers Create unique property and then saves', async () => {
  await withPage(browser, 'mappings-deal', async (page) => {
    await signIn(page);
    await page.goto(app.url + hubspotPage);
    await page.getByTestId('object-mapping').first().waitFor();
    await page.getByRole('button', { name: 'Add mapping' }).click();
    await page.getByLabel('HubSpot object type').selectOption({ label: 'Deals' });
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.waitForURL(/\/settings\/hubspot\/mappings\/\d+$/);

    assert.equal(await fieldPicker(page, 1).inputValue(), 'order_code');
    // Deal Name is not unique: the identifier row says so, and saving
    // becomes "Create … and save".
    await pickProperty(page, 1, 'deal name', 'Deal Name (dealname | string)');
    await page.locator('#row-0-property-error').filter({ hasText: 'does not require unique values' }).waitFor();
    await page.getByRole('button', { name: 'Create “pretix_order_id” and save' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Save', exact: true }).count(), 0);
    const create = page.getByRole('button', { name: 'Create unique property' });
    await create.waitFor();
    await page.getByText('pretix_order_id', { exact: true }).waitFor();
    // The deal is associated with the contacts mapping by default.
    assert.ok(await page.getByLabel('Order → Contacts (by Order email)').isChecked());

    await create.click();
    await page.getByText('was created with unique values').waitFor();
    await create.waitFor({ state: 'detached' });
    assert.equal(await propertyPicker(page, 1).inputValue(), 'pretix order ID (pretix_order_id | string)');
    await addRow(page, 2, 'Order total [Number]', 'amount', 'Amount (amount | number)');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('The mapping was saved.').waitFor();
    await page.reload();
    await propertyPicker(page, 2).waitFor();
    assert.equal(await propertyPicker(page, 1).inputValue(), 'pretix order ID (pretix_order_id | string)');
    assert.equal(await page.locator('#row-0-property-error').count(), 0);

    // Back on the integration page, both mappings, the deal second; move it up.
    await page.getByRole('link', { name: '← HubSpot Integration' }).click();
    const rows = page.getByTestId('object-mapping');
    await rows.nth(1).filter({ hasText: 'Order code → pretix order ID' }).waitFor();
    await page.getByRole('button', { name: 'Move Order → Deals up' }).click();
    await rows.nth(0).filter({ hasText: 'Order code → pretix order ID' }).waitFor();
  });
});
