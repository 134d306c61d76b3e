// Automation rules in the browser, on the seeded demo workspace: the seeded rules
// and their firing log; an admin builds a nested rule in the editor, dry-runs it
// (nothing changes), saves it switched on; a customer's chat message then fires
// it, the ticket is tagged and shows its SLA clock counting down; versions are
// compared and restored; schedules and SLA policies are edited.
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

const top = () => admin.locator('[data-testid="rule-editor"] [data-testid="group"]');

test('the seeded rules and their firing log', async () => {
  await open(admin, server.base, '/app/settings/rules');
  assert.equal(await admin.locator('[data-testid="trigger-list"] [data-testid="rule-row"]').count(), 4);
  assert.equal(await admin.locator('[data-testid="automation-list"] [data-testid="rule-row"]').count(), 2);
  const row = admin.locator('[data-testid="rule-row"][data-name="Refunds to Billing"]');
  assert.match(await row.innerText(), /Customer's latest message contains refund OR/);
  // The seed's last customer message fired it.
  const log = admin.locator('[data-testid="all-firings"] [data-testid="firing-row"]');
  const billing = log.filter({ hasText: 'Refunds to Billing' });
  assert.ok((await billing.count()) >= 1);
  assert.match(await billing.first().innerText(), /Tagged billing/);
});

test('an admin builds a nested rule, dry-runs it, saves it, and a chat message fires it', async () => {
  await open(admin, server.base, '/app/settings/rules');
  await admin.click('[data-testid="new-rule"]');
  await admin.fill('[data-testid="rule-name"]', 'Parcel questions');
  // Top group (AND): the message mentions a parcel …
  await top().locator(':scope > .row > [data-testid="add-condition"]').click();
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-field"]', 'message.text');
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-op"]', 'contains');
  await admin.fill('[data-testid="cond-1"] [data-testid="cond-value"]', 'parcel');
  // … AND (it came by chat OR its priority is urgent).
  await top().locator(':scope > .row > [data-testid="add-group"]').click();
  const inner = admin.locator('[data-testid="group-2"]');
  assert.equal(await inner.getAttribute('data-any'), 'true');
  await admin.selectOption('[data-testid="cond-2-1"] [data-testid="cond-field"]', 'ticket.channel');
  await admin.selectOption('[data-testid="cond-2-1"] [data-testid="cond-value"]', 'chat');
  await inner.locator(':scope > .row > [data-testid="add-condition"]').click();
  await admin.selectOption('[data-testid="cond-2-2"] [data-testid="cond-field"]', 'ticket.priority');
  await admin.selectOption('[data-testid="cond-2-2"] [data-testid="cond-value"]', 'urgent');
  // The first condition kept its text through the redraws.
  assert.equal(await admin.inputValue('[data-testid="cond-1"] [data-testid="cond-value"]'), 'parcel');
  // Then: tag it and leave a note.
  await admin.click('[data-testid="add-action"] button[data-kind="add_tags"]');
  await admin.fill('[data-testid="rule-action"][data-kind="add_tags"] [data-testid="action-tags"]', 'shipping, where-is-it');
  await admin.click('[data-testid="add-action"] button[data-kind="note"]');
  await admin.fill('[data-testid="rule-action"][data-kind="note"] [data-testid="action-text"]', 'Shipping question from {{ customer.name }}');

  // A bad value is refused, naming the condition.
  await admin.fill('[data-testid="cond-1"] [data-testid="cond-value"]', '');
  await admin.click('[data-testid="save-rule"]');
  await admin.locator('[data-testid="rule-editor"] .field-error', { hasText: 'Condition 1: Customer\'s latest message contains what?' }).waitFor();
  await admin.fill('[data-testid="cond-1"] [data-testid="cond-value"]', 'parcel');

  // Dry run: nothing changes, the result says how many would.
  await admin.click('[data-testid="dry-run"]');
  const dry = admin.locator('[data-testid="dry-run-result"]');
  await dry.waitFor();
  assert.match(await dry.locator('[data-testid="dry-run-summary"]').innerText(), /^\d+ of the \d+ newest tickets would change\.$/);

  await admin.click('[data-testid="save-rule"]');
  await admin.locator('[data-testid="saved"]', { hasText: 'Saved “Parcel questions” (v1).' }).waitFor();
  const row = admin.locator('[data-testid="rule-row"][data-name="Parcel questions"]');
  await row.waitFor();
  assert.match(await row.innerText(), /Customer's latest message contains parcel AND \(Ticket channel is Chat OR Ticket priority is Urgent\)/);
  await admin.screenshot({ path: join(SHOTS, 'rules-editor.png'), fullPage: true });

  const { widget } = await widgetOn(browser, server.base + '/demo/store');
  await widget.locator('[data-testid="widget-input"]').fill('Hi, where is my parcel? It was due on Monday.');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-message"][data-from="customer"]').first().waitFor();

  await open(admin, server.base, '/app/settings/rules');
  const fired = admin.locator('[data-testid="all-firings"] [data-testid="firing-row"]', { hasText: 'Parcel questions' });
  await fired.first().waitFor();
  assert.match(await fired.first().innerText(), /Tagged shipping, where-is-it/);
  assert.equal(await fired.first().getAttribute('data-outcome'), 'applied');
  const ticket = (await fired.first().locator('a').innerText()).replace('#', '');
  await open(admin, server.base, `/app/inbox?c=${ticket}`);
  const inboxRow = admin.locator(`[data-testid="conversation-row"][data-number="${ticket}"]`);
  await inboxRow.locator(".tag", { hasText: "shipping" }).waitFor();
  // The seeded Standard SLA policy gave it targets (the demo's AI agent already
  // answered, which met the first-reply one: the resolution clock runs); the
  // clock counts down in the browser once the page is interactive.
  const clock = inboxRow.locator('[data-testid="sla-clock"]');
  assert.match(await clock.getAttribute('data-metric'), /^(first_response|resolution)$/);
  await admin.waitForFunction(
    (n) => /^(First reply|Resolution) in \d/.test(document.querySelector(`[data-testid="conversation-row"][data-number="${n}"] [data-testid="sla-clock"]`)?.textContent || ''),
    ticket,
  );
  assert.equal(await clock.getAttribute('data-state'), 'ok');
  await admin.locator('[data-testid="conversation-pane"] [data-testid="sla-clock"]').waitFor();
  await admin.screenshot({ path: join(SHOTS, 'inbox-sla-clock.png') });
});

test('versions are compared and restored', async () => {
  await open(admin, server.base, '/app/settings/rules');
  await admin.locator('[data-testid="rule-row"][data-name="Parcel questions"] [data-testid="edit-rule"]').click();
  await admin.locator('[data-testid="rule-name"][value="Parcel questions"]').waitFor();
  await admin.click('[data-testid="add-action"] button[data-kind="set_priority"]');
  await admin.click('[data-testid="save-rule"]');
  await admin.locator('[data-testid="saved"]', { hasText: '(v2)' }).waitFor();
  const versions = admin.locator('[data-testid="rule-versions"] [data-testid="version-row"]');
  await admin.locator('[data-testid="rule-versions"] [data-testid="compare-version"]').first().waitFor();
  assert.equal(await versions.count(), 2);
  await admin.locator('[data-testid="compare-version"]').first().click();
  const diff = admin.locator('[data-testid="version-diff"]');
  await diff.waitFor();
  assert.match(await diff.innerText(), /\+ Action 3: Set priority High/);
  await admin.screenshot({ path: join(SHOTS, 'rules-versions.png'), fullPage: true });
  await admin.locator('[data-testid="restore-version"]').first().click();
  await admin.locator('[data-testid="rule-row"][data-name="Parcel questions"]', { hasText: 'v3' }).waitFor();
  assert.equal(await admin.locator('[data-testid="rule-action"]').count(), 2);
});

test('an admin adds a business-hours schedule and an SLA policy', async () => {
  await open(admin, server.base, '/app/settings/sla');
  assert.equal(await admin.locator('[data-testid="schedule-row"]').count(), 2);
  assert.equal(await admin.locator('[data-testid="policy-row"]').count(), 4);
  assert.match(await admin.locator('[data-testid="schedule-row"][data-name="EU support"]').innerText(), /Mon–Fri 08:00–18:00, Sat 10:00–14:00/);
  await admin.click('[data-testid="new-schedule"]');
  await admin.fill('[data-testid="schedule-name"]', 'APAC support');
  await admin.fill('[data-testid="schedule-zone"]', 'Asia/Tokyo');
  await admin.fill('[data-testid="schedule-holidays"]', '2027-01-01 Ganjitsu\n2027-01-11 Seijin no Hi');
  await admin.click('[data-testid="save-schedule"]');
  await admin.locator('[data-testid="schedule-saved"]', { hasText: 'Saved “APAC support”: Mon–Fri 09:00–17:00.' }).waitFor();
  await admin.locator('[data-testid="schedule-row"][data-name="APAC support"]').waitFor();
  // A bad zone is refused with a message a person can act on.
  await admin.fill('[data-testid="schedule-zone"]', 'Tokyo');
  await admin.click('[data-testid="save-schedule"]');
  await admin.locator('[data-testid="schedule-editor"] .field-error', { hasText: '“Tokyo” is not a time zone' }).waitFor();

  await admin.click('[data-testid="new-policy"]');
  await admin.fill('[data-testid="policy-name"]', 'Japan enterprise');
  await admin.fill('[data-testid="policy-tag"]', 'enterprise');
  await admin.fill('[data-testid="policy-first"]', '1.5');
  await admin.fill('[data-testid="policy-resolution"]', '24');
  await admin.click('[data-testid="save-policy"]');
  await admin.locator('[data-testid="policy-saved"]', { hasText: 'Saved “Japan enterprise”.' }).waitFor();
  const row = admin.locator('[data-testid="policy-row"][data-name="Japan enterprise"]');
  await row.waitFor();
  assert.match(await row.innerText(), /any priority, tagged enterprise/);
  assert.match(await row.innerText(), /1h 30m/);
  await admin.screenshot({ path: join(SHOTS, 'sla-settings.png'), fullPage: true });
});

test('a rule asks for approval of a tool action, with its input checked', async () => {
  await open(admin, server.base, '/app/settings/rules');
  await admin.click('[data-testid="new-rule"]');
  await admin.fill('[data-testid="rule-name"]', 'Chargebacks need a call');
  await top().locator(':scope > .row > [data-testid="add-condition"]').click();
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-field"]', 'message.text');
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-op"]', 'contains');
  await admin.fill('[data-testid="cond-1"] [data-testid="cond-value"]', 'chargeback');
  await admin.click('[data-testid="add-action"] button[data-kind="request_approval"]');
  const act = admin.locator('[data-testid="rule-action"][data-kind="request_approval"]');
  await act.locator('[data-testid="action-tool"]').selectOption('create_task');
  // The input must fit the tool: a task needs a title.
  await act.locator('[data-testid="action-input"]').fill('{"priority": "high"}');
  await admin.click('[data-testid="save-rule"]');
  await admin.locator('[data-testid="rule-editor"] .field-error', { hasText: 'title' }).waitFor();
  await act.locator('[data-testid="action-input"]').fill('{"title": "Call the bank about {{ ticket.number }}"}');
  await act.locator('[data-testid="action-text"]').fill('money at stake');
  await admin.click('[data-testid="save-rule"]');
  await admin.locator('[data-testid="saved"]', { hasText: 'Saved “Chargebacks need a call” (v1).' }).waitFor();
  const row = admin.locator('[data-testid="rule-row"][data-name="Chargebacks need a call"]');
  await row.waitFor();
  assert.match(await row.innerText(), /Ask for approval/);
});
