// Product tours in the browser, on the seeded demo workspace: an admin makes a
// tour of the demo store, opens the store from the editor and records three
// steps by pointing at elements in the builder overlay (the first has a stable
// data attribute, which its selector uses); saves and publishes. A visitor on
// the store gets the tour (its runtime fetched only then); the second step's
// element is removed from the page, so after a short wait that step is skipped
// and the tour goes on to the third and finishes. The editor's analytics count
// the step shown, the missing element and the finish.
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

async function record(builder, target, title) {
  await builder.locator('[data-testid="tour-pick"]').click();
  await builder.locator(target).click();
  const t = builder.locator('[data-testid="tour-step-title"]');
  await t.fill(title);
  await builder.locator('[data-testid="tour-step-add"]').click();
}

test('a tour recorded on the store runs there and survives a missing element', async () => {
  await open(admin, server.base, '/app/tours');
  await admin.locator('[data-testid="no-tours"]').waitFor();
  await admin.locator('[data-testid="new-tour"]').click();
  const ed = admin.locator('[data-testid="tour-editor"]');
  await ed.locator('[data-testid="tour-name"]').fill('Store tour');
  await ed.locator('[data-testid="tour-url"]').fill(server.base + '/demo/store');

  const popup = admin.waitForEvent('popup');
  await ed.locator('[data-testid="record-steps"]').click();
  const builder = await popup;
  await builder.locator('[data-testid="tour-builder"]').waitFor();
  await record(builder, '[data-tour="featured"]', 'Our best seller');
  await ed.locator('[data-testid="tour-step"]').nth(0).waitFor();
  await record(builder, 'header h1', 'Who we are');
  await record(builder, '#store-intro', 'Questions? Ask us');
  await ed.locator('[data-testid="tour-step"]').nth(2).waitFor();
  await builder.screenshot({ path: join(SHOTS, 'tour-builder.png') });
  await builder.close();

  // The stable data attribute comes first; fallbacks follow.
  const first = await ed.locator('[data-testid="tour-step"]').nth(0).locator('[data-testid="step-selectors"]').inputValue();
  assert.equal(first.split('\n')[0], 'css:[data-tour="featured"]');
  assert.ok(first.split('\n').length >= 2, first);
  await ed.locator('[data-testid="tour-step"]').nth(0).locator('[data-testid="step-body"]').fill('Waterproof, breathable, and our best seller.');
  await ed.locator('[data-testid="save-tour"]').click();
  await ed.locator('[data-testid="tour-saved"]', { hasText: '3 steps' }).waitFor();
  await ed.locator('[data-testid="publish-tour"]').click();
  await ed.locator('[data-testid="tour-published"]', { hasText: '3 steps are live' }).waitFor();
  await admin.screenshot({ path: join(SHOTS, 'tour-editor.png'), fullPage: true });

  // A visitor on the store.
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  const visit = page.waitForResponse((r) => r.url().endsWith('/widget/api/visit'));
  await page.goto(server.base + '/demo/store');
  const answer = await (await visit).json();
  assert.equal(answer.tour.steps.length, 3);
  const step = (id) => page.locator(`[data-switchboard-step="${id}"]`);
  await step('s1').waitFor();
  assert.match(await step('s1').innerText(), /Our best seller[\s\S]*1 of 3/);
  await page.screenshot({ path: join(SHOTS, 'tour-store.png') });
  // The second step's element leaves the page.
  await page.evaluate(() => document.querySelector('header h1').remove());
  const missing = page.waitForResponse((r) => r.url().endsWith('/widget/api/tour') && r.request().postData().includes('missing'));
  await step('s1').locator('[data-switchboard-tour-next]').click();
  await missing;
  await step('s3').waitFor();
  const done = page.waitForResponse((r) => r.url().endsWith('/widget/api/tour') && r.request().postData().includes('completed'));
  await step('s3').locator('[data-switchboard-tour-next]', { hasText: 'Done' }).click();
  await done;
  assert.equal(await page.locator('[data-switchboard-step]').count(), 0);

  await open(admin, server.base, '/app/tours');
  const row = admin.locator('[data-testid="tour-row"][data-name="Store tour"]');
  assert.equal((await row.locator('[data-testid="tour-started"]').innerText()).trim(), '1');
  assert.match(await row.locator('[data-testid="tour-completed"]').innerText(), /^1/);
  await row.locator('[data-testid="edit-tour"]').click();
  const stats = admin.locator('[data-testid="tour-analytics"]');
  assert.match(await stats.locator('[data-step="s2"] [data-testid="step-missing"]').innerText(), /^1/);
  assert.match(await stats.locator('[data-step="s3"] [data-testid="step-shown"]').innerText(), /^1/);
});
