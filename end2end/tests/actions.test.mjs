// The AI agent that acts, in the browser, on the seeded demo workspace (built-in
// engine, no API key): a customer asks in the chat widget for a call back; the
// workspace's policy wants an approval; an admin watching the approvals page sees
// the proposal arrive live, approves it with a comment; the task is created and
// the customer reads the confirmation in the widget; the activity log shows the
// approval. Then an admin adds a policy rule and the tester shows the new outcome.
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
  admin = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('a request that needs approval: proposed, approved live with a comment, done, the customer told', async () => {
  await open(admin, server.base, '/app/approvals');
  // The demo workspace starts with proposals waiting.
  assert.ok((await admin.locator('[data-testid="action-card"]').count()) >= 3);

  const { page, widget } = await widgetOn(browser, server.base + '/demo/store');
  await widget.locator('[data-testid="widget-input"]').fill('Please call me back tomorrow about my tent order.');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget
    .locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'approve a call back tomorrow' })
    .waitFor({ timeout: 20000 });

  // It arrives on the open approvals page without a reload.
  const card = admin.locator('[data-testid="action-card"]', { hasText: 'about my tent order' });
  await card.waitFor({ timeout: 20000 });
  assert.match(await card.innerText(), /Create a task/);
  assert.match(await card.innerText(), /Low risk/);
  assert.match(await card.innerText(), /workspace default: require approval/);
  await admin.screenshot({ path: join(SHOTS, 'actions-approval-queue.png') });
  await card.locator('textarea').fill('Sam can call at 10am.');
  await card.locator('[data-testid="approve"]').click();
  await card.waitFor({ state: 'detached', timeout: 15000 });

  // The task exists and the customer hears back.
  await widget
    .locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'scheduled a call back tomorrow' })
    .waitFor({ timeout: 20000 });
  await page.screenshot({ path: join(SHOTS, 'actions-widget-confirmed.png') });
  await admin.locator('button.tab', { hasText: 'Finished' }).click();
  const done = admin.locator('[data-testid="action-card"]', { hasText: 'about my tent order' });
  await done.waitFor({ timeout: 15000 });
  assert.equal(await done.getAttribute('data-status'), 'completed');
  assert.match(await done.innerText(), /Sam can call at 10am/);

  await open(admin, server.base, '/app/tasks');
  await admin.locator('[data-testid="task-row"]', { hasText: 'Call the customer back' }).first().waitFor();
  await admin.screenshot({ path: join(SHOTS, 'actions-tasks.png') });

  await open(admin, server.base, '/app/activity');
  const log = await admin.locator('main').innerText();
  assert.match(log, /action\.approved/);
  assert.match(log, /action\.completed/);
});

test('an admin adds a rule and the tester shows the new outcome', async () => {
  await open(admin, server.base, '/app/settings/ai-policies');
  const test = async (amount) => {
    await admin.selectOption('#q-tool', 'create_expense');
    await admin.fill('#q-amount', amount);
    await admin.locator('[data-testid="policy-tester"] button[type="submit"]').click();
    const out = admin.locator('[data-testid="policy-outcome"]');
    await out.waitFor();
    return out;
  };
  let out = await test('500');
  await admin.waitForFunction(() => /Deny/.test(document.querySelector('[data-testid="policy-outcome"]')?.innerText || ''));
  assert.match(await out.innerText(), /Expenses over 100/);
  out = await test('40');
  await admin.waitForFunction(() => /Require approval/.test(document.querySelector('[data-testid="policy-outcome"]')?.innerText || ''));

  await admin.fill('#p-name', 'Small goodwill credits are fine');
  await admin.selectOption('#p-effect', 'allow');
  await admin.selectOption('#p-tool', 'create_expense');
  await admin.locator('[data-testid="policy-form"] button[type="submit"]').click();
  await admin.locator('[data-testid="policy-rule"]', { hasText: 'Small goodwill credits are fine' }).waitFor();
  out = await test('40');
  await admin.waitForFunction(() => /^Allow/.test(document.querySelector('[data-testid="policy-outcome"]')?.innerText || ''));
  assert.match(await out.innerText(), /Small goodwill credits are fine/);
  await admin.screenshot({ path: join(SHOTS, 'actions-policies.png'), fullPage: true });
});
