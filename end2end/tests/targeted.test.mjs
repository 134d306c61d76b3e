// Targeted messages in the browser, on the seeded demo workspace: an admin
// builds a banner for the demo store (a malformed tooltip is refused naming
// the field first) and watches the preview; a visitor on the store sees the
// banner (drawn by the runtime fetched only then, unaffected by the store's
// aggressive CSS), closes it, and on the next visit it stays away ("once");
// the admin's list counts the showing and the close.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launch, open, signInDemo, startServer } from './support.mjs';

let server;
let browser;
let admin;

before(async () => {
  server = await startServer({ seed: true });
  browser = await launch();
  admin = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/// Opens the store as a visitor of `ctx`; resolves with the page and the
/// messages the server answered for it.
async function visitStore(ctx) {
  const page = await ctx.newPage();
  const visit = page.waitForResponse((r) => r.url().endsWith('/widget/api/visit'));
  const shown = page.waitForResponse((r) => r.url().endsWith('/widget/api/targeted') && r.request().postData().includes('shown'));
  shown.catch(() => {});
  await page.goto(server.base + '/demo/store');
  const answer = await (await visit).json();
  return { page, messages: answer.messages, shown };
}

test('a banner built in the editor shows once on the store', async () => {
  await open(admin, server.base, '/app/messages');
  // The seeded drafts are listed.
  await admin.locator('[data-testid="message-row"][data-name="Autumn sale banner"]').waitFor();
  await admin.locator('[data-testid="new-message"]').click();
  const ed = admin.locator('[data-testid="message-editor"]');
  await ed.locator('[data-testid="message-name"]').fill('Store welcome');
  await ed.locator('[data-testid="message-style"]').selectOption('tooltip');
  await ed.locator('[data-testid="message-title"]').fill('Free shipping over €50');
  await ed.locator('[data-testid="save-message"]').click();
  await ed.locator('.field-error', { hasText: 'CSS selector' }).waitFor();

  await ed.locator('[data-testid="message-style"]').selectOption('banner');
  await ed.locator('[data-testid="message-placement"]').selectOption('top');
  await ed.locator('[data-testid="message-body"]').fill('On every order, this week only.');
  await ed.locator('[data-testid="message-button"]').fill('Shop now');
  await ed.locator('[data-testid="message-url"]').fill('/demo/store#shop');
  await ed.locator('[data-testid="message-page-match"]').selectOption('starts_with');
  await ed.locator('[data-testid="message-page-value"]').fill('/demo/store');
  await ed.locator('[data-testid="message-status"]').selectOption('live');
  const preview = ed.locator('[data-testid="message-preview"] .tm-banner');
  await preview.locator('.tm-title', { hasText: 'Free shipping over €50' }).waitFor();
  await preview.locator('.tm-button', { hasText: 'Shop now' }).waitFor();
  await ed.locator('[data-testid="save-message"]').click();
  await ed.locator('[data-testid="message-saved"]').waitFor();
  await admin.screenshot({ path: join(SHOTS, 'targeted-editor.png'), fullPage: true });
  await admin.locator('[data-testid="message-row"][data-name="Store welcome"] [data-testid="message-status"]', { hasText: 'Live' }).waitFor();

  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const first = await visitStore(ctx);
  assert.deepEqual(first.messages.map((m) => m.title), ['Free shipping over €50']);
  const banner = first.page.locator('[data-switchboard-message][data-style="banner"]');
  await banner.waitFor();
  assert.match(await banner.innerText(), /Free shipping over €50[\s\S]*On every order/);
  // The store's `button { background: red !important; font-size: 30px }` does not reach it.
  const size = await banner.locator('[data-switchboard-button]').evaluate((b) => getComputedStyle(b).fontSize);
  assert.equal(size, '14px');
  await first.page.screenshot({ path: join(SHOTS, 'targeted-banner-store.png') });
  const counted = first.page.waitForResponse((r) => r.url().endsWith('/widget/api/targeted') && r.request().postData().includes('dismissed'));
  await banner.locator('[data-switchboard-close]').click();
  await counted;
  assert.equal(await banner.count(), 0);

  // The same visitor again: shown once, so not again.
  const second = await visitStore(ctx);
  assert.deepEqual(second.messages, []);
  assert.equal(await second.page.locator('[data-switchboard-message]').count(), 0);
  // A new visitor sees it.
  const other = await visitStore(await browser.newContext());
  assert.equal(other.messages.length, 1);
  await other.page.locator('[data-switchboard-message][data-style="banner"]').waitFor();
  await other.shown;

  await open(admin, server.base, '/app/messages');
  const row = admin.locator('[data-testid="message-row"][data-name="Store welcome"]');
  assert.match(await row.locator('[data-testid="message-shown"]').innerText(), /^2/);
  assert.match(await row.locator('[data-testid="message-dismissed"]').innerText(), /^1/);
});
