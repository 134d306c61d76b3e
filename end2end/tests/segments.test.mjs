// Customer segments in the browser, on the seeded demo workspace: the seeded
// segments with live counts; an admin builds a nested segment with the condition
// builder, the editor counts who it selects as it changes, the saved segment is
// listed with the same count; a bad value is refused naming the condition; a
// light agent is told the page is not for their role (403) and the page asks the
// server for nothing.
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
  admin = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const editor = () => admin.locator('[data-testid="segment-editor"]');
const top = () => editor().locator('[data-testid="group"]');
const count = async () => Number(await editor().locator('[data-testid="segment-count"]').innerText());

test('the seeded segments are listed with live counts', async () => {
  await open(admin, server.base, '/app/segments');
  const rows = admin.locator('[data-testid="segment-row"]');
  assert.equal(await rows.count(), 2);
  const regulars = admin.locator('[data-testid="segment-row"][data-name="Regulars"]');
  assert.match(await regulars.innerText(), /Tickets, all time is above 1/);
  // The 24 customers of the demo's past tickets (several each), and the demo
  // customers who wrote twice (Ben among them); not the other demo customers.
  const regular = Number((await regulars.locator('[data-testid="segment-row-count"]').innerText()).split(' ')[0]);
  assert.ok(regular >= 25 && regular < 24 + 9, `regulars: ${regular}`);
  const waiting = admin.locator('[data-testid="segment-row"][data-name="Waiting on us"]');
  assert.match(await waiting.innerText(), /Open tickets .* is above 0 OR/);
  // Most demo customers have an open ticket.
  const n = Number((await waiting.locator('[data-testid="segment-row-count"]').innerText()).split(' ')[0]);
  assert.ok(n >= 5, `waiting on us: ${n}`);
});

test('an admin builds a nested segment, counted as it changes, and saves it', async () => {
  await open(admin, server.base, '/app/segments');
  await admin.click('[data-testid="new-segment"]');
  await admin.fill('[data-testid="segment-name"]', 'Example.com customers');
  // Email domain is example.com …
  await top().locator(':scope > .row > [data-testid="add-condition"]').click();
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-field"]', 'customer.email_domain');
  await admin.fill('[data-testid="cond-1"] [data-testid="cond-value"]', 'example.com');
  await editor().locator('[data-testid="count-segment"]').click();
  // The live count of the condition as it was typed may land first; wait
  // for the list of the finished condition: only example.com addresses.
  await admin.waitForFunction(() => {
    const members = [...document.querySelectorAll('[data-testid="segment-editor"] [data-testid="segment-member"]')];
    return members.length > 0 && members.every((li) => /@example\.com/.test(li.textContent));
  });
  const domain = await count();
  assert.ok(domain >= 3, `example.com customers: ${domain}`);
  // … AND (a ticket tagged vip OR more than one ticket): counted again at once.
  await top().locator(':scope > .row > [data-testid="add-group"]').click();
  await admin.selectOption('[data-testid="cond-2-1"] [data-testid="cond-field"]', 'tickets.tags');
  await admin.fill('[data-testid="cond-2-1"] [data-testid="cond-value"]', 'warranty');
  await admin.locator('[data-testid="group-2"]').locator(':scope > .row > [data-testid="add-condition"]').click();
  await admin.selectOption('[data-testid="cond-2-2"] [data-testid="cond-field"]', 'tickets.count');
  await admin.selectOption('[data-testid="cond-2-2"] [data-testid="cond-op"]', 'above');
  await admin.fill('[data-testid="cond-2-2"] [data-testid="cond-value"]', '1');
  // The text typed before the redraws is still there.
  assert.equal(await admin.inputValue('[data-testid="cond-1"] [data-testid="cond-value"]'), 'example.com');
  await editor().locator('[data-testid="count-segment"]').click();
  await admin.waitForFunction(
    (before) => Number(document.querySelector('[data-testid="segment-count"]')?.textContent) < before,
    domain,
  );
  const nested = await count();
  assert.ok(nested >= 1 && nested < domain, `nested: ${nested} of ${domain}`);
  await admin.screenshot({ path: join(SHOTS, 'segments-editor.png'), fullPage: true });
  await editor().locator('[data-testid="save-segment"]').click();
  await editor().locator('[data-testid="segment-saved"]').waitFor();
  const row = admin.locator('[data-testid="segment-row"][data-name="Example.com customers"]');
  await row.waitFor();
  assert.equal(Number((await row.locator('[data-testid="segment-row-count"]').innerText()).split(' ')[0]), nested);
  assert.match(await row.innerText(), /Email domain \(after the @\) is example\.com AND/);
});

test('a bad value is refused, naming the condition', async () => {
  await open(admin, server.base, '/app/segments');
  await admin.click('[data-testid="new-segment"]');
  await admin.fill('[data-testid="segment-name"]', 'Busy');
  await top().locator(':scope > .row > [data-testid="add-condition"]').click();
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-field"]', 'tickets.open');
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-op"]', 'above');
  await admin.fill('[data-testid="cond-1"] [data-testid="cond-value"]', 'lots');
  const rows = await admin.locator('[data-testid="segment-row"]').count();
  await editor().locator('[data-testid="save-segment"]').click();
  const msg = editor().locator('[role="alert"]').filter({ hasText: 'needs a number' }).first();
  await msg.waitFor();
  assert.match(await msg.innerText(), /Condition 1: Open tickets .* needs a number, not “lots”/);
  assert.equal(await admin.locator('[data-testid="segment-row"]').count(), rows);
});

test('a light agent is told the page is not for their role', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signInDemo(page, server.base, 'jo.light@switchboard.test');
  const asked = [];
  page.on('request', (r) => {
    if (r.url().includes('/api/')) asked.push(r.url());
  });
  const res = await page.goto(`${server.base}/app/segments`);
  assert.equal(res.status(), 403);
  await page.locator('[data-testid="no-access"]').waitFor();
  assert.match(await page.locator('[data-testid="no-access"]').innerText(), /Your role \(Light agent\) does not allow this/);
  await page.waitForLoadState('networkidle');
  assert.deepEqual(asked.filter((u) => /segment/.test(u)), []);
  // Not in the sidebar either.
  assert.equal(await page.locator('nav a[href="/app/segments"]').count(), 0);
  await ctx.close();
});
