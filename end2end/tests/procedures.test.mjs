// Procedures in the browser, on the seeded demo workspace (built-in engine, no
// provider): an admin previews a seeded procedure on a sample message and reads
// each step's decision; builds a new one in the structured editor, saves it and
// previews it; and a customer's chat message that matches a trigger is answered
// by the agent following the procedure.
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

test('a seeded procedure previewed on a sample message shows each step and decision', async () => {
  await open(admin, server.base, '/app/settings/procedures');
  const rows = admin.locator('[data-testid="procedure-row"]');
  assert.equal(await rows.count(), 2);
  // No provider in the demo: the page says the steps are built by hand.
  await admin.locator('[data-testid="compile-unavailable"]').waitFor();

  await rows.filter({ hasText: 'Address change' }).locator('[data-testid="edit-procedure"]').click();
  await admin.locator('[data-testid="proc-name"]').and(admin.locator('[value="Address change"]')).waitFor();
  assert.equal(await admin.locator('[data-testid="proc-step"][data-kind="if"]').count(), 1);
  await admin.fill('[data-testid="preview-message"]', 'Hi, can I change my address to 5 Elm Street before it ships?');
  await admin.click('[data-testid="run-preview"]');
  const preview = admin.locator('[data-testid="proc-preview"]');
  await preview.waitFor();
  assert.match(await preview.locator('[data-testid="preview-match"]').innerText(), /matches “change my address”/);
  const lines = preview.locator('[data-testid="trace-line"]');
  assert.equal(await lines.count(), 3);
  assert.match(await lines.nth(0).innerText(), /No \(ticket\.tags is/);
  assert.match(await lines.nth(1).innerText(), /Would wait for approval/);
  assert.equal(await lines.nth(1).getAttribute('data-tone'), 'wait');
  assert.match(await preview.locator('[data-testid="preview-result"]').innerText(), /1 step\(s\) would wait for approval/);
  await admin.screenshot({ path: join(SHOTS, 'procedures-preview.png'), fullPage: true });
});

test('an admin builds a procedure in the editor, saves it and previews it', async () => {
  await open(admin, server.base, '/app/settings/procedures');
  await admin.click('[data-testid="new-procedure"]');
  await admin.fill('[data-testid="proc-name"]', 'Cancel an order');
  await admin.fill('[data-testid="proc-instructions"]', 'When a customer wants to cancel an order: tag it, tell them, hand it to a person.');
  await admin.fill('[data-testid="proc-triggers"]', 'cancel my order');
  const top = admin.locator('[data-testid="procedure-editor"] [data-testid="add-step"]');
  // A tool step: tag the ticket.
  await top.locator('button[data-kind="tool"]').click();
  await admin.selectOption('[data-testid="proc-step"][data-path="1"] [data-testid="step-tool"]', 'tag_ticket');
  await admin.fill('[data-testid="proc-step"][data-path="1"] [data-testid="step-input"]', '{"add": ["cancellation"]}');
  // A reply quoting a fact, then a hand-over.
  await top.locator('button[data-kind="reply"]').click();
  await admin.fill('[data-testid="proc-step"][data-path="2"] [data-testid="step-reply"]', 'Thanks {{customer.name}}, a teammate will cancel it for you.');
  await top.locator('button[data-kind="escalate"]').click();
  await admin.fill('[data-testid="proc-step"][data-path="3"] [data-testid="step-reason"]', 'Cancellations are done by a person');
  await admin.click('[data-testid="save-procedure"]');
  await admin.locator('[data-testid="saved"]').waitFor();
  await admin.locator('[data-testid="procedure-row"]', { hasText: 'Cancel an order' }).waitFor();

  await admin.fill('[data-testid="preview-message"]', 'Please cancel my order, I ordered the wrong size');
  await admin.click('[data-testid="run-preview"]');
  const preview = admin.locator('[data-testid="proc-preview"]');
  await preview.waitFor();
  const lines = preview.locator('[data-testid="trace-line"]');
  assert.equal(await lines.count(), 3);
  // The demo policy lets tagging run on its own.
  assert.match(await lines.nth(0).innerText(), /Would run at once/);
  assert.match(await lines.nth(1).innerText(), /Says: Thanks .+, a teammate will cancel it for you\./);
  assert.equal(await lines.nth(2).getAttribute('data-tone'), 'stop');
  assert.match(await preview.locator('[data-testid="preview-result"]').innerText(), /Handed to a person: Cancellations are done by a person/);
  await admin.screenshot({ path: join(SHOTS, 'procedures-editor.png'), fullPage: true });

  // A bad step is refused with the step named, and nothing else changes.
  await top.locator('button[data-kind="tool"]').click();
  await admin.click('[data-testid="save-procedure"]');
  await admin.locator('[data-testid="procedure-editor"] .field-error', { hasText: 'Step 4 (Use a tool): choose a tool.' }).waitFor();
});

test('a customer whose message matches a trigger is answered by the procedure', async () => {
  const { widget } = await widgetOn(browser, server.base + '/demo/store');
  await widget.locator('[data-testid="widget-input"]').fill('Hello, my tent arrived damaged. The pole is snapped.');
  await widget.locator('[data-testid="widget-send"]').click();
  // A first-time customer: the procedure asks for a photo.
  await widget
    .locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'Could you reply with a photo of the damage?' })
    .waitFor({ timeout: 20000 });
  await open(admin, server.base, '/app/settings/procedures');
  const row = admin.locator('[data-testid="procedure-row"]', { hasText: 'Damaged item' });
  assert.match(await row.innerText(), /1 time\(s\)/);
});
