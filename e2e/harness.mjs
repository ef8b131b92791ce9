// Shared helpers for the browser end-to-end tests: start the real binary on a
// free port with a temp data dir, and drive Debian's Chromium with
// playwright-core.
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const binary = process.env.PH_BIN || path.join(root, 'bin', 'pretix-hubspot');
export const artifacts = path.join(root, 'e2e', 'artifacts');

/** Returns a free TCP port on 127.0.0.1. */
export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (srv.address());
      srv.close(() => resolve(port));
    });
  });
}

/** Polls url until it answers 200 or the deadline passes. */
export async function waitFor(url, ms = 15000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = new Error(`status ${res.status}`);
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not come up: ${last}`);
}

/**
 * Starts the binary with a subcommand (default "serve") on a free port.
 * @param {{cmd?: string, args?: string[], env?: Record<string,string>}} [opts]
 */
export async function startApp(opts = {}) {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run "make build" first`);
  const port = await freePort();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ph-e2e-'));
  const url = `http://127.0.0.1:${port}`;
  const args = [opts.cmd || 'serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, ...(opts.args || [])];
  const proc = spawn(binary, args, { env: { ...process.env, ...(opts.env || {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  proc.stdout.on('data', (d) => (logs += d));
  proc.stderr.on('data', (d) => (logs += d));
  const exited = new Promise((r) => proc.on('exit', r));
  try {
    await waitFor(url + '/healthz');
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error(`${e.message}\n--- app output ---\n${logs}`);
  }
  return {
    url,
    port,
    dataDir,
    logs: () => logs,
    async stop() {
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      proc.kill('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Launches headless Chromium with the flags this closed network needs. */
export async function launchBrowser() {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`);
  }
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}

/**
 * Runs fn with a fresh page; on failure saves a screenshot named after the
 * test into e2e/artifacts and rethrows.
 * @param {import('playwright-core').Browser} browser
 * @param {string} name
 * @param {(page: import('playwright-core').Page) => Promise<void>} fn
 */
export async function withPage(browser, name, fn) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  try {
    await fn(page);
  } catch (e) {
    await mkdir(artifacts, { recursive: true });
    const file = path.join(artifacts, name.replace(/[^a-z0-9]+/gi, '-') + '.png');
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    e.message += `\n(screenshot: ${file})`;
    throw e;
  } finally {
    await context.close();
  }
}

/** Creates the admin account through the first-run page. */
export async function createAdmin(page, url, username = 'admin', password = 'correct horse battery') {
  await page.goto(url + '/');
  await page.waitForURL('**/setup');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat password').fill(password);
  await page.getByRole('button', { name: 'Create admin account' }).click();
  // Attached, not visible: on a phone the top bar folds the name away.
  await page.getByTestId('current-user').filter({ hasText: username }).waitFor({ state: 'attached' });
}

/**
 * Starts the pretix and HubSpot emulators ("pretix-hubspot fakes") and
 * returns their connection details plus helpers to act as a buyer.
 * @param {{orders?: number}} [opts]
 */
export async function startFakes(opts = {}) {
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run "make build" first`);
  const proc = spawn(binary, ['fakes', '--orders', String(opts.orders ?? 20)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => proc.on('exit', r));
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fakes did not start: ' + err)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
  });
  /** @param {string} p */
  const post = async (p) => {
    const res = await fetch(info.pretix_url + p, { method: 'POST' });
    const body = await res.json();
    if (!res.ok) throw new Error(`${p}: ${body.error}`);
    return body;
  };
  return {
    ...info,
    /** Places a random order in an event; returns the pretix order JSON. */
    placeOrder: (event = info.events[0]) => post(`/_fake/orders?event=${encodeURIComponent(event)}`),
    markPaid: (code, event = info.events[0]) => post(`/_fake/orders/${code}/paid?event=${encodeURIComponent(event)}`),
    cancelOrder: (code, event = info.events[0]) => post(`/_fake/orders/${code}/cancel?event=${encodeURIComponent(event)}`),
    addWebhook: (url) => post(`/_fake/webhooks?url=${encodeURIComponent(url)}`),
    /** Leaves the first HubSpot portal `left` requests today (private-app tokens see the daily limit). */
    leaveDaily: (left) => post(`/_fake/hubspot-daily?left=${left}`),
    async stop() {
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      proc.kill('SIGKILL');
    },
  };
}

/** Calls the app's API from the page, with its session and CSRF token. */
export async function apiCall(page, method, path, body) {
  return page.evaluate(
    async ([method, path, body]) => {
      const s = await (await fetch('/api/session')).json();
      const res = await fetch('/api' + path, {
        method,
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.data.csrf_token },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json().catch(() => null) };
    },
    [method, path, body],
  );
}

/**
 * Connects the emulators' pretix organizer through the API and waits until
 * the event's first pull has stored its catalogue.
 * @param {import('playwright-core').Page} page signed in
 * @param {{pretix_url: string, pretix_token: string, organizer: string}} fakes
 */
export async function connectOrganizer(page, fakes, event = 'conf2026') {
  const r = await apiCall(page, 'POST', '/organizers', { base_url: fakes.pretix_url, token: fakes.pretix_token });
  if (r.status !== 200 && r.status !== 201) throw new Error(`connect organizer: ${r.status} ${JSON.stringify(r.body)}`);
  const path = `/organizers/${fakes.organizer}/events/${event}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    const ev = await apiCall(page, 'GET', path);
    if (ev.status === 200 && ev.body.data.refreshed_at) return;
    if (Date.now() > deadline) throw new Error(`event ${event} did not arrive: ${ev.status} ${JSON.stringify(ev.body)}`);
    await page.waitForTimeout(200);
  }
}

/**
 * Connects the emulators' pretix organizer through the "Add organizer" form,
 * waits for its first pull and points pretix's webhook at the app, as a
 * person does.
 * @param {import('playwright-core').Page} page signed in, on any page with the top bar
 * @param {any} fakes from startFakes
 * @param {string} appURL
 */
export async function addOrganizerInUI(page, fakes, appURL) {
  await page.goto(appURL + '/organizers/new');
  await page.getByLabel('pretix URL').fill(fakes.pretix_url);
  await page.getByLabel('API token').fill(fakes.pretix_token);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('heading', { name: 'DemoCon Events' }).waitFor();
  await page.getByTestId('pull-status').getByText('OK', { exact: true }).waitFor({ timeout: 20000 });
  await fakes.addWebhook(await page.getByTestId('webhook-url').inputValue());
}

/**
 * Walks the HubSpot emulator's consent pages after Request access, as the
 * pretix guide shows them: sign in, choose the account, then the
 * unverified-app notice and its decision ("Connect app" or "Cancel").
 * @param {import('playwright-core').Page} page
 * @param {string} [decision]
 */
export async function walkConsent(page, decision = 'Connect app') {
  await page.getByRole('heading', { name: 'Connecting pretix to HubSpot' }).waitFor();
  await page.getByRole('button', { name: 'Sign in to your HubSpot account' }).click();
  await page.getByLabel(/pretix Demo GmbH/).check();
  await page.getByRole('button', { name: 'Choose Account' }).click();
  await page.getByRole('heading', { name: "You're connecting to an unverified app" }).waitFor();
  await page.getByRole('button', { name: decision }).click();
}

/**
 * Enables HubSpot for an event and connects it with the HubSpot emulator's
 * private app token through the API, as the Settings pages would.
 * @param {import('playwright-core').Page} page signed in
 * @param {any} fakes from startFakes
 * @param {string} eventBase e.g. /organizers/democon/events/conf2026
 */
export async function connectHubSpotToken(page, fakes, eventBase) {
  const p = await apiCall(page, 'PUT', eventBase + '/plugins/hubspot', { enabled: true });
  if (p.status !== 200) throw new Error(`enable HubSpot: ${p.status} ${JSON.stringify(p.body)}`);
  const t = await apiCall(page, 'POST', eventBase + '/hubspot/token', { token: fakes.hubspot_static_token, hub_id: String(fakes.hubspot_portals[0]) });
  if (t.status !== 200) throw new Error(`connect HubSpot: ${t.status} ${JSON.stringify(t.body)}`);
}
