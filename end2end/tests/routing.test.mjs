// Routing in the browser, on the seeded demo workspace: the routing page with
// its queues, agents and figures; a queue built in the editor (bad skills
// refused); a widget message the seeded rule tags "tents" and the AI agent
// hands over is routed by skill to Sam, the tent expert, and shows its SLA
// clock; Sam sets himself away in the header, and the next tent chat goes to
// someone else.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launch, open, signInDemo, startServer, widgetOn } from './support.mjs';

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

/// A customer asks for a person about a tent in the demo store's widget; returns
/// the ticket number once routing gave it to someone (from the rule's firing log).
async function tentChat(text) {
  const { page, widget } = await widgetOn(browser, server.base + '/demo/store');
  await widget.locator('[data-testid="widget-input"]').fill(text);
  await widget.locator('[data-testid="widget-send"]').click();
  // The AI agent hands it over ("I've asked a member of our team …").
  await widget.locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'member of our team' }).waitFor();
  await page.context().close();
  await open(admin, server.base, '/app/settings/rules');
  const fired = admin.locator('[data-testid="all-firings"] [data-testid="firing-row"]', { hasText: 'Tent questions' });
  await fired.first().waitFor();
  return (await fired.first().locator('a').innerText()).replace('#', '');
}

async function assigneeOf(ticket) {
  await open(admin, server.base, `/app/inbox?c=${ticket}`);
  const row = admin.locator(`[data-testid="conversation-row"][data-number="${ticket}"]`);
  await row.locator('[data-testid="row-assignee"]').waitFor();
  return { row, name: await row.locator('[data-testid="row-assignee"]').innerText() };
}

test('the routing page: seeded queues, agents and figures; a queue built in the editor', async () => {
  await open(admin, server.base, '/app/settings/routing');
  const rows = admin.locator('[data-testid="queue-list"] [data-testid="queue-row"]');
  assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => x.dataset.name)), ['Billing', 'VIP', 'Chats', 'Everything else']);
  assert.match(await admin.locator('[data-testid="queue-row"][data-name="Chats"]').innerText(), /Chat[\s\S]*Skill match/);
  const sam = admin.locator('[data-testid="agent-row"][data-email="sam.agent@switchboard.test"]');
  assert.match(await sam.locator('[data-testid="agent-skills"]').innerText(), /product:tents/);
  await admin.locator('[data-testid="routing-metrics"]').waitFor();

  await admin.click('[data-testid="new-queue"]');
  await admin.fill('[data-testid="queue-name"]', 'Spanish chats');
  await admin.check('[data-testid="queue-editor"] input[data-channel="chat"]');
  await admin.fill('[data-testid="queue-skills"]', 'language:es, a:b:c');
  await admin.selectOption('[data-testid="queue-strategy"]', 'load_balanced');
  await admin.click('[data-testid="save-queue"]');
  await admin.locator('[data-testid="queue-editor"] .field-error', { hasText: 'is not a skill' }).waitFor();
  await admin.fill('[data-testid="queue-skills"]', 'language:es');
  await admin.fill('[data-testid="queue-overflow"]', '5');
  await admin.click('[data-testid="save-queue"]');
  await admin.locator('[data-testid="queue-saved"]', { hasText: 'Saved “Spanish chats”' }).waitFor();
  const spanish = admin.locator('[data-testid="queue-row"][data-name="Spanish chats"]');
  await spanish.waitFor();
  assert.match(await spanish.innerText(), /Every agent with language:es[\s\S]*Load balanced[\s\S]*after 5m/);
  // Below the catch-all queue it would never get a ticket: the page says so.
  assert.match(await spanish.locator('[data-testid="queue-note"]').innerText(), /Never reached: “Everything else” above takes every ticket/);
  await spanish.locator('button[title="Move up"]').click();
  await admin.locator('[data-testid="queue-row"][data-name="Spanish chats"] [data-testid="queue-note"]').waitFor({ state: 'detached' });
  assert.deepEqual(await rows.evaluateAll((r) => r.map((x) => x.dataset.name)), ['Billing', 'VIP', 'Chats', 'Spanish chats', 'Everything else']);
  await admin.screenshot({ path: join(SHOTS, 'routing.png'), fullPage: true });
});

test('a tent chat goes to the tent expert; away, the next goes to someone else', async () => {
  const first = await tentChat('Can I talk to a real person about my tent? The zip is broken.');
  const { row, name } = await assigneeOf(first);
  assert.equal(name, 'Sam Okafor');
  await row.locator('.tag', { hasText: 'tents' }).waitFor();
  // Its SLA clock runs, live, once the page is interactive.
  await admin.waitForFunction(
    (n) => /^(First reply|Resolution) in \d/.test(document.querySelector(`[data-testid="conversation-row"][data-number="${n}"] [data-testid="sla-clock"]`)?.textContent || ''),
    first,
  );
  await admin.screenshot({ path: join(SHOTS, 'routing-assigned.png') });

  // Sam sets himself away in the header.
  const samPage = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signInDemo(samPage, server.base, 'sam.agent@switchboard.test');
  await open(samPage, server.base, '/app/inbox');
  const status = samPage.locator('[data-testid="my-status"]');
  assert.equal(await status.getAttribute('data-status'), 'online');
  await status.click();
  await samPage.screenshot({ path: join(SHOTS, 'status-menu.png') });
  await samPage.click('[data-testid="status-away"]');
  await samPage.locator('[data-testid="my-status"][data-status="away"]').waitFor();
  // It holds across a reload (the server has it).
  await open(samPage, server.base, '/app/inbox');
  assert.equal(await samPage.locator('[data-testid="my-status"]').getAttribute('data-status'), 'away');

  const second = await tentChat('Can I talk to a real person about my tent? A pole snapped.');
  assert.notEqual(second, first);
  const next = await assigneeOf(second);
  assert.notEqual(next.name, 'Sam Okafor');

  await open(admin, server.base, '/app/settings/routing');
  const samRow = admin.locator('[data-testid="agent-row"][data-email="sam.agent@switchboard.test"]');
  assert.equal(await samRow.locator('[data-testid="agent-status"]').getAttribute('data-status'), 'away');
  await samPage.context().close();
});
