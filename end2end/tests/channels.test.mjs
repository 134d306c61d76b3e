// Customer channels in the browser, on the seeded demo workspace: the chat widget
// embedded on the demo store (a different origin from the server), live both ways
// with an agent, typing indicators, read receipts, the offline queue, CSAT; the web
// support form's field checks, its ticket number and the status page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS, launch, open, openRow, reload, signInDemo, startServer } from './support.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ seed: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function openConversation(page, text) {
  await open(page, server.base, '/app/inbox');
  await page.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  await openRow(page, text);
}

test('chat widget: live messages both ways, typing, seen, offline queue, CSAT', async () => {
  // The store is served as localhost, the widget from 127.0.0.1: a cross-origin embed.
  const storeUrl = server.base.replace('127.0.0.1', 'localhost') + '/demo/store';
  const customerCtx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const customer = await customerCtx.newPage();
  const started = Date.now();
  await customer.goto(storeUrl);
  const widget = customer.frameLocator('iframe[data-switchboard-widget]');
  await widget.locator('[data-testid="widget-launcher"]').waitFor();
  // Interactive: the panel opens on the first click once the bundle has run.
  await widget.locator('[data-testid="widget-launcher"]').click();
  await widget.locator('[data-testid="widget-panel"]').waitFor();
  const interactiveMs = Date.now() - started;
  // The host page's hostile CSS (red 30px buttons, lime iframe borders) must not reach it.
  const launcherBg = await widget.locator('[data-testid="widget-launcher"]').evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(launcherBg, 'rgb(255, 0, 0)');
  const frameBorder = await customer.locator('iframe[data-switchboard-widget]').evaluate((el) => getComputedStyle(el).borderTopWidth);
  assert.equal(frameBorder, '0px');

  await widget.locator('[data-testid="widget-input"]').fill('Do you ship the Ridge Shell Jacket to Norway?');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-message"][data-from="customer"]', { hasText: 'Norway' }).waitFor();
  await customer.screenshot({ path: join(SHOTS, 'widget-demo-store.png') });

  // The agent sees it live in the inbox.
  const agent = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signInDemo(agent, server.base, 'demo@switchboard.test');
  await openConversation(agent, 'Norway');
  await agent.locator('[data-testid="message"]', { hasText: 'Ridge Shell Jacket to Norway' }).waitFor();

  // Typing both ways.
  await widget.locator('[data-testid="widget-input"]').fill('And how long does it take');
  await agent.locator('[data-testid="customer-typing"]').waitFor({ timeout: 10000 });
  await agent.fill('[data-testid="composer-body"]', 'Yes we do');
  await widget.locator('[data-testid="widget-typing"]', { hasText: 'is typing' }).waitFor({ timeout: 10000 });

  // The agent replies; the customer sees it and the agent sees it was read.
  await agent.fill('[data-testid="composer-body"]', 'Yes, we ship to Norway: 3–5 working days.');
  await agent.click('[data-testid="send"]');
  await widget.locator('[data-testid="widget-message"][data-from="agent"]', { hasText: '3–5 working days' }).waitFor({ timeout: 10000 });
  await agent.locator('[data-testid="seen-by-customer"]').waitFor({ timeout: 10000 });
  // The customer's message shows "Seen" once the agent has opened it.
  await widget.locator('[data-testid="widget-seen"]').waitFor({ timeout: 10000 });
  await agent.screenshot({ path: join(SHOTS, 'inbox-chat.png') });

  // Offline: the message waits in the queue and arrives once when the network is back.
  await widget.locator('[data-testid="widget-input"]').fill('');
  await customerCtx.setOffline(true);
  await widget.locator('[data-testid="widget-offline"]').waitFor({ timeout: 10000 });
  await widget.locator('[data-testid="widget-input"]').fill('Written while offline: size M please');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-pending"]', { hasText: 'size M' }).waitFor();
  await customer.screenshot({ path: join(SHOTS, 'widget-offline.png') });
  await customerCtx.setOffline(false);
  await widget.locator('[data-testid="widget-message"][data-from="customer"]', { hasText: 'size M' }).waitFor({ timeout: 20000 });
  assert.equal(await widget.locator('[data-testid="widget-pending"]').count(), 0);
  await agent.locator('[data-testid="message"]', { hasText: 'size M please' }).waitFor({ timeout: 10000 });
  await agent.waitForTimeout(1500);
  assert.equal(await agent.locator('[data-testid="message"]', { hasText: 'size M please' }).count(), 1, 'the queued message arrived more than once');
  // The newest message stays in view although the email card sits below the log.
  await widget.locator('[data-testid="widget-email"]').waitFor();
  const pinned = await widget.locator('[data-testid="widget-log"]').evaluate((el) => new Promise((done) => {
    requestAnimationFrame(() => requestAnimationFrame(() => done({ top: el.scrollTop, view: el.clientHeight, all: el.scrollHeight })));
  }));
  assert.ok(pinned.top + pinned.view >= pinned.all - 2, `log not at the bottom: ${JSON.stringify(pinned)}`);

  // Solving asks the customer for a rating.
  await agent.selectOption('[data-testid="status-select"]', 'solved');
  await widget.locator('[data-testid="widget-csat"]').waitFor({ timeout: 10000 });
  await widget.locator('[data-testid="csat-5"]').click();
  await widget.locator('[data-testid="csat-submit"]').click();
  await widget.locator('[data-testid="widget-csat-thanks"]').waitFor();
  await reload(agent);
  await agent.locator('[data-testid="csat"]', { hasText: 'CSAT 5/5' }).waitFor({ timeout: 15000 });

  // A reload keeps the visitor and their conversation.
  await customer.reload();
  await widget.locator('[data-testid="widget-launcher"]').click();
  await widget.locator('[data-testid="widget-message"]', { hasText: '3–5 working days' }).waitFor();
  writeFileSync(join(SHOTS, 'widget-metrics.json'), JSON.stringify({ interactiveMs }, null, 2));
});

test('web support form: field checks, ticket number, status page with the reply', async () => {
  const page = await (await browser.newContext()).newPage();
  await open(page, server.base, '/support/acme-outdoor-support');
  await page.fill('#sf-name', 'A');
  await page.fill('#sf-email', 'not-an-email');
  await page.fill('#sf-subject', 'Hey');
  await page.fill('#sf-message', 'short');
  await page.click('[data-testid="support-submit"]');
  for (const f of ['name', 'email', 'subject', 'message']) {
    await page.locator(`[data-testid="error-${f}"]`).waitFor();
  }
  assert.match(await page.locator('[data-testid="error-subject"]').innerText(), /at least 5/);
  await page.screenshot({ path: join(SHOTS, 'support-form-errors.png') });

  await page.fill('#sf-name', 'Hana Berg');
  await page.fill('#sf-email', 'hana@example.com');
  await page.fill('#sf-subject', 'Broken buckle on my Summit pack');
  await page.selectOption('#sf-priority', 'high');
  await page.fill('#sf-message', 'The hip-belt buckle snapped on day two. Can you send a new one?');
  const t0 = Date.now();
  await page.click('[data-testid="support-submit"]');
  const number = await page.locator('[data-testid="ticket-number"]').innerText();
  const answeredMs = Date.now() - t0;
  assert.match(number, /^TKT-\d{6}$/);
  await page.screenshot({ path: join(SHOTS, 'support-form-done.png') });

  const agent = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signInDemo(agent, server.base, 'demo@switchboard.test');
  await openConversation(agent, 'Broken buckle');
  await agent.fill('[data-testid="composer-body"]', 'Sorry about that! A new buckle is on its way.');
  await agent.click('[data-testid="send"]');
  await agent.locator('[data-testid="message"]', { hasText: 'new buckle is on its way' }).waitFor();

  await open(page, server.base, `/support/acme-outdoor-support/status?ticket=${number}`);
  await page.fill('#st-email', 'hana@example.com');
  await page.click('[data-testid="status-submit"]');
  await page.locator('[data-testid="status-message"]', { hasText: 'new buckle is on its way' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'support-status.png') });
  // The wrong email shows nothing of the ticket.
  await page.fill('#st-email', 'someone@else.test');
  await page.click('[data-testid="status-submit"]');
  await page.getByRole('alert').filter({ hasText: 'not found' }).waitFor();
  writeFileSync(join(SHOTS, 'support-form-metrics.json'), JSON.stringify({ answeredMs }, null, 2));
});
