import { existsSync } from 'node:fs';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { TEST_CLIENTS } from '../../support/api-client';
import { startLocalVtn, type LocalVtn } from '../../../local/vtn';

/**
 * The documentation page in a real browser: it shows this VTN's operations, and a call made
 * through it, with a token it obtained from the VTN's token endpoint, reaches the VTN.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Bounds each wait in the page; the whole file stays well inside jest's timeout. */
const STEP_MS = 15_000;

let vtn: LocalVtn;
let browser: Browser;
let page: Page;
/** What the page reported: CSP violations and script errors among them. */
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: install chromium: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  vtn = await startLocalVtn({ host: '127.0.0.1', port: 0, dataDir: 'memory', tableName: 'vtn-docs', clients: TEST_CLIENTS });
  browser = await puppeteer.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'], timeout: STEP_MS });
  page = await browser.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(String(error)));
  page.on('response', (response) => response.status() >= 400 && problems.push(`${response.status()} ${response.url()}`));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await vtn?.close();
});

test('the page loads from the VTN alone and shows its operations, by tag', async () => {
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  const response = await page.goto(`${vtn.url}/docs`, { waitUntil: 'load' });
  expect(response?.status()).toBe(200);
  await page.waitForSelector('#operations-programs-searchAllPrograms');
  const tags = await page.$$eval('.opblock-tag-section h3', (headings) => headings.map((heading) => heading.getAttribute('data-tag')));
  expect(tags).toEqual(expect.arrayContaining(['programs', 'events', 'reports', 'subscriptions', 'vens', 'Auth', 'notifiers']));
  const summary = await page.$eval('#operations-events-searchAllEvents .opblock-summary-description', (element) => element.textContent);
  expect(summary).toBe('searches all events');
  expect(await page.$eval('.info .title', (element) => element.textContent)).toContain('OpenADR 3 API');
  // Every file came from the VTN (the stylesheet's icons are data: URLs), and nothing the page
  // did broke its Content-Security-Policy.
  expect(requested.filter((url) => !url.startsWith(new URL(vtn.url).origin) && !url.startsWith('data:'))).toEqual([]);
  expect(problems).toEqual([]);
});

test('"Try it out" with a token the page obtained by client credentials: GET /programs reaches the VTN and shows 200', async () => {
  const bl = TEST_CLIENTS.find((client) => client.role === 'BL')!;
  await page.click('.btn.authorize');
  await page.waitForSelector('#client_id_clientCredentials');
  await page.type('#client_id_clientCredentials', bl.clientID);
  await page.type('#client_secret_clientCredentials', bl.clientSecret!);
  const token = page.waitForResponse((response) => response.url() === `${vtn.url}/auth/token`);
  await page.click('.auth-container .btn.modal-btn.auth.authorize');
  expect((await token).status()).toBe(200);
  await page.waitForSelector('.auth-container .btn.modal-btn.auth:not(.authorize)');
  await page.click('.btn-done');

  await page.click('#operations-programs-searchAllPrograms .opblock-summary-control');
  await page.click('#operations-programs-searchAllPrograms .try-out__btn');
  const call = page.waitForResponse((response) => response.url().startsWith(`${vtn.url}/programs`));
  await page.click('#operations-programs-searchAllPrograms .btn.execute');
  const answered = await call;
  expect(answered.status()).toBe(200);
  expect(answered.request().headers().authorization).toMatch(/^Bearer /);
  const shown = await page.waitForSelector('#operations-programs-searchAllPrograms .live-responses-table tbody .response-col_status');
  expect((await shown!.evaluate((element) => element.textContent))?.trim()).toBe('200');
  expect(problems).toEqual([]);
});
