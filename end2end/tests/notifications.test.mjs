// Notifications in the browser, on the seeded demo workspace: an admin rewords
// the "assigned to you" template (a bad variable is refused, naming it); Sam
// chooses an hourly email digest for assignments; the admin assigns him a ticket
// from the inbox; Sam sees it in his bell in the admin's words, the email waits
// for the digest on his page, and the admin's delivery log shows both.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launch, open, reload, signInDemo, startServer } from './support.mjs';

let server;
let browser;
let admin;
let sam;

before(async () => {
  server = await startServer({ seed: true });
  browser = await launch();
  admin = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
  sam = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  await signInDemo(sam, server.base, 'sam.agent@switchboard.test');
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('an admin rewords a template; a bad variable is refused', async () => {
  await open(admin, server.base, '/app/settings/notifications');
  const row = admin.locator('[data-testid="template-row"][data-kind="assigned"]');
  await row.locator('[data-testid="edit-template"]').click();
  const editor = admin.locator('[data-testid="template-editor"]');
  await editor.waitFor();
  await editor.locator('[data-testid="template-body"]').fill('Hi {{ customer.name }}');
  await editor.locator('[data-testid="save-template"]').click();
  await editor.locator('.field-error', { hasText: 'customer.name' }).waitFor();

  await editor.locator('[data-testid="template-body"]').fill('{{ actor }} handed you {{ ticket.number }}: {{ ticket.subject }}');
  await editor.locator('[data-testid="save-template"]').click();
  await admin.locator('[data-testid="template-saved"]').waitFor();
  await row.locator('.badge', { hasText: 'custom' }).waitFor();
  assert.match(await row.innerText(), /handed you/);
  await admin.screenshot({ path: join(SHOTS, 'notification-templates.png'), fullPage: true });
});

test('Sam picks an hourly digest; an assignment reaches his bell and waits for the digest', async () => {
  await open(sam, server.base, '/app/profile/notifications');
  const assigned = sam.locator('[data-testid="pref-row"][data-kind="assigned"]');
  await assigned.locator('[data-testid="pref-email"]').selectOption('hourly');
  await sam.locator('[data-testid="pref-saved"]').waitFor();
  await reload(sam);
  assert.equal(await assigned.locator('[data-testid="pref-email"]').inputValue(), 'hourly');
  assert.equal(await assigned.locator('[data-testid="pref-in-app"]').isChecked(), true);

  // The admin assigns him a ticket from the inbox.
  await open(admin, server.base, '/app/inbox');
  await admin.locator('[data-testid="view-link"]', { hasText: 'Unassigned' }).click();
  const ticket = admin.locator('[data-testid="conversation-row"]', { hasText: 'Sleeping bag sizing' });
  await ticket.locator('input[type="checkbox"]').check();
  await admin.locator('[data-testid="bulk-bar"]').waitFor();
  await admin.selectOption('select[aria-label="Assign selected to"]', { label: 'Sam Okafor' });
  await admin.locator('[data-testid="notice"]', { hasText: 'Updated 1 conversation(s).' }).waitFor();

  // In his bell, in the admin's words.
  await open(sam, server.base, '/app/inbox');
  const bell = sam.locator('[data-testid="notifications"]');
  await bell.locator('.notification', { hasText: 'Maria Alvarez handed you TKT-' }).waitFor();
  assert.match(await bell.innerText(), /Sleeping bag sizing/);

  // The email waits for the hourly digest.
  await open(sam, server.base, '/app/profile/notifications');
  const waiting = sam.locator('[data-testid="delivery-row"][data-channel="email"]');
  await waiting.first().waitFor();
  assert.match(await waiting.first().innerText(), /Assigned to you[\s\S]*pending/);
  await sam.screenshot({ path: join(SHOTS, 'my-notifications.png'), fullPage: true });

  // The admin's log shows both deliveries.
  await open(admin, server.base, '/app/settings/notifications');
  const log = admin.locator('[data-testid="delivery-list"]');
  await log.locator('[data-testid="delivery-row"][data-channel="in_app"][data-status="delivered"]', { hasText: 'Sam Okafor' }).first().waitFor();
  await log.locator('[data-testid="delivery-row"][data-channel="email"][data-status="pending"]', { hasText: 'Sam Okafor' }).first().waitFor();
});
