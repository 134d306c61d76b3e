// The flow builder in the browser, on the seeded demo workspace: an admin builds
// a flow by adding steps from the palette and dragging from exits to steps,
// undoes and redoes a connection, sees the problems that block publishing, and
// publishes; the preview runs the draft; a visitor on the demo store goes
// through the seeded "Welcome menu" (buttons, an email checked twice) to the
// orders team, and the flow's analytics count the run; a workflow is drawn
// with a trigger and a ticket action, published, and runs on a new ticket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, canvas, arrived, launch, open, signInDemo, startServer, widgetOn } from './support.mjs';

let server;
let browser;
let admin;
let node, port, edge, drag;

before(async () => {
  server = await startServer({ seed: true });
  browser = await launch();
  admin = await (await browser.newContext({ viewport: { width: 1500, height: 1000 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
  ({ node, port, edge, drag } = canvas(admin));
});

after(async () => {
  await browser?.close();
  server?.stop();
});


test('an admin builds a flow on the canvas, undoes and redoes, and publishes', async () => {
  await open(admin, server.base, '/app/flows');
  await admin.locator('[data-testid="flow-row"]', { hasText: 'Welcome menu' }).waitFor();
  await admin.locator('[data-testid="flow-name"]').fill('Returns helper');
  await admin.locator('[data-testid="flow-create"]').click();
  await arrived(admin, /\/app\/flows\/\d+$/);
  await admin.locator('[data-testid="flow-canvas"]').waitFor();
  await node('start').waitFor();
  assert.equal(await edge('start', 'next').getAttribute('data-target'), 'end');

  // A question from the palette, worded in the step settings.
  await admin.locator('[data-testid="palette-item"][data-type="ask"]').click();
  await node('ask_1').waitFor();
  const settings = admin.locator('[data-testid="flow-step"][data-node="ask_1"]');
  await settings.locator('[data-testid="step-prompt"]').fill('Is it about a return?');
  await settings.locator('[data-testid="step-prompt"]').press('Tab');
  await settings.locator('[data-testid="step-variable"]').fill('return');
  await settings.locator('[data-testid="step-variable"]').press('Tab');
  await node('ask_1').locator('text=Is it about a return?').waitFor();

  // Connect Start → the question, and its "Yes" → End, by dragging.
  await drag(port('start', 'next'), node('ask_1'));
  await admin.waitForFunction(() =>
    document.querySelector('[data-testid="flow-edge"][data-source="start"]')?.getAttribute('data-target') === 'ask_1');
  await drag(port('ask_1', 'choice:0'), node('end'));
  await edge('ask_1', 'choice:0').waitFor();
  // "No" leads nowhere: publishing is blocked, the problem is named.
  const problems = admin.locator('[data-testid="flow-problems"]');
  await problems.waitFor();
  assert.match(await problems.innerText(), /ask_1/);
  assert.equal(await admin.locator('[data-testid="flow-publish"]').isDisabled(), true);

  // Undo takes the last connection back; redo restores it.
  await admin.locator('[data-testid="flow-undo"]').click();
  await edge('ask_1', 'choice:0').waitFor({ state: 'detached' });
  await admin.locator('[data-testid="flow-redo"]').click();
  await edge('ask_1', 'choice:0').waitFor();
  // The keyboard too: Ctrl+Z on the canvas.
  await admin.locator('[data-testid="flow-canvas"]').focus();
  await admin.keyboard.press('Control+z');
  await edge('ask_1', 'choice:0').waitFor({ state: 'detached' });
  await admin.keyboard.press('Control+y');
  await edge('ask_1', 'choice:0').waitFor();

  // A hand-off for "No"; then nothing blocks publishing.
  await admin.locator('[data-testid="palette-item"][data-type="handoff"]').click();
  await node('handoff_1').waitFor();
  // It lands beside the question; drag it clear by its title.
  const before = await node('handoff_1').getAttribute('transform');
  const box = await node('handoff_1').boundingBox();
  await admin.mouse.move(box.x + 60, box.y + 10);
  await admin.mouse.down();
  await admin.mouse.move(box.x + 300, box.y + 160, { steps: 6 });
  await admin.mouse.up();
  assert.notEqual(await node('handoff_1').getAttribute('transform'), before);
  await drag(port('ask_1', 'choice:1'), node('handoff_1'));
  await edge('ask_1', 'choice:1').waitFor();
  await problems.waitFor({ state: 'detached' });

  // The preview runs the draft: buttons, the highlighted step, the variables.
  await admin.locator('[data-testid="flow-tab-preview"]').click();
  await admin.locator('[data-testid="preview-start"]').click();
  await admin.locator('[data-testid="preview-bot"]', { hasText: 'Is it about a return?' }).waitFor();
  assert.match(await node('ask_1').getAttribute('class'), /current/);
  await admin.locator('[data-testid="preview-choice"]', { hasText: 'No' }).click();
  await admin.locator('[data-testid="preview-over"]', { hasText: 'Handed over' }).waitFor();
  assert.match(await admin.locator('[data-testid="preview-vars"]').innerText(), /No/);

  await admin.locator('[data-testid="flow-publish"]').click();
  await admin.locator('[data-testid="flow-notice"]', { hasText: 'Published as version 1' }).waitFor();
  await admin.screenshot({ path: join(SHOTS, 'flow-builder.png'), fullPage: true });
});

test('a visitor goes through the demo menu to the orders team; the analytics count it', async () => {
  const { page, widget } = await widgetOn(browser, server.base + '/demo/store');
  await widget.locator('[data-testid="widget-input"]').fill('hi');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-choice"]', { hasText: 'Track my order' }).click();
  await widget.locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'What email address' }).waitFor();
  await widget.locator('[data-testid="widget-input"]').fill('ann at example');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'does not look like an email' }).waitFor();
  await widget.locator('[data-testid="widget-input"]').fill('ann@example.com');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'orders team will reply' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'flow-widget.png') });

  // The Welcome menu's analytics: the run, its hand-off, the step that did it.
  await open(admin, server.base, '/app/flows');
  await admin.locator('[data-testid="flow-row"] a', { hasText: 'Welcome menu' }).click();
  await node('to_orders').waitFor();
  await admin.locator('[data-testid="flow-tab-stats"]').click();
  await admin.locator('[data-testid="flow-stats"]').waitFor();
  assert.ok(Number(await admin.locator('[data-testid="flow-stat-entries"]').innerText()) >= 1);
  assert.ok(Number(await admin.locator('[data-testid="flow-stat-handoffs"]').innerText()) >= 1);
  const row = admin.locator('[data-testid="flow-stat-row"][data-node="to_orders"]');
  assert.match(await row.innerText(), /to_orders\s+Hand off to a person\s+1\b/);
  // On the canvas as an overlay.
  await node('to_orders').locator('[data-testid="flow-node-stats"]', { hasText: '1 in' }).waitFor();
  await admin.screenshot({ path: join(SHOTS, 'flow-analytics.png'), fullPage: true });
});

test('a workflow is drawn with ticket actions, published, and runs on a new ticket', async () => {
  await open(admin, server.base, '/app/flows');
  await admin.locator('[data-testid="flow-row"]', { hasText: 'Nudge when waiting on the customer' }).waitFor();
  await admin.locator('[data-testid="flow-name"]').fill('Tag workflow tickets');
  await admin.locator('[data-testid="flow-kind"]').selectOption('workflow');
  await admin.locator('[data-testid="flow-create"]').click();
  await arrived(admin, /\/app\/flows\/\d+$/);
  await node('start').waitFor();
  // A workflow's palette: ticket steps, no questions.
  await admin.locator('[data-testid="palette-item"][data-type="ticket_action"]').waitFor();
  assert.equal(await admin.locator('[data-testid="palette-item"][data-type="ask"]').count(), 0);

  // The Start step holds the trigger: a new ticket whose first message asks for it.
  await node('start').locator('.fc-title').click();
  const start = admin.locator('[data-testid="flow-step"][data-node="start"]');
  assert.equal(await start.locator('[data-testid="trigger-event"][data-event="ticket_created"]').isChecked(), true);
  await start.locator('[data-testid="trigger-only-if"]').fill('message.text | contains | workflow please');
  await start.locator('[data-testid="trigger-only-if"]').press('Tab');
  await node('start').locator('text=A ticket is created (+1)').waitFor();

  // A ticket action: add a tag.
  await admin.locator('[data-testid="palette-item"][data-type="ticket_action"]').click();
  await node('ticket_action_1').waitFor();
  const step = admin.locator('[data-testid="flow-step"][data-node="ticket_action_1"]');
  await step.locator('[data-testid="step-action-tags"]').fill('from-workflow');
  await step.locator('[data-testid="step-action-tags"]').press('Tab');
  await node('ticket_action_1').locator('text=Add tags: from-workflow').waitFor();
  await drag(port('start', 'next'), node('ticket_action_1'));
  await admin.waitForFunction(() =>
    document.querySelector('[data-testid="flow-edge"][data-source="start"]')?.getAttribute('data-target') === 'ticket_action_1');
  await drag(port('ticket_action_1', 'next'), node('end'));
  await edge('ticket_action_1', 'next').waitFor();
  await admin.locator('[data-testid="flow-problems"]').waitFor({ state: 'detached' });
  await admin.locator('[data-testid="flow-publish"]').click();
  await admin.locator('[data-testid="flow-notice"]', { hasText: 'Published as version 1' }).waitFor();
  const url = admin.url();
  await admin.screenshot({ path: join(SHOTS, 'workflow-builder.png'), fullPage: true });

  // A visitor's new conversation matches: the workflow runs on the ticket.
  const { widget } = await widgetOn(browser, server.base + '/demo/store');
  await widget.locator('[data-testid="widget-input"]').fill('workflow please, my order is late');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-message"][data-from="customer"]', { hasText: 'workflow please' }).waitFor();
  // The message is stored (and the workflow run with it) once the widget has
  // sent it; the analytics are read fresh on each opening of the tab.
  let entries = '';
  for (let i = 0; i < 20 && entries !== '1'; i += 1) {
    await open(admin, server.base, new URL(url).pathname);
    await node('ticket_action_1').waitFor();
    await admin.locator('[data-testid="flow-tab-stats"]').click();
    await admin.locator('[data-testid="flow-stats"]').waitFor();
    entries = await admin.locator('[data-testid="flow-stat-entries"]').innerText();
  }
  assert.equal(entries, '1');
  const row = admin.locator('[data-testid="flow-stat-row"][data-node="ticket_action_1"]');
  assert.match(await row.innerText(), /ticket_action_1\s+Ticket action\s+1\b/);
});
