// The customer portal in the browser, on the seeded demo workspace: a
// customer (Ben Carter, who has written by chat and by email) finds "Your
// requests" in the help center, asks for a sign-in link, opens it from the
// email (read here from the admin's outbox: the demo sends no mail), signs
// in, sees his conversations from both channels, reads one and replies; the
// agent sees the reply in the inbox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, open, openRow, launch, signInDemo, startServer, watchProblems } from './support.mjs';

const BEN = 'ben.carter@example.com';

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

test('portal: sign in by magic link, see conversations from two channels, reply', async () => {
  const ben = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const watch = watchProblems(ben);
  await ben.goto(`${server.base}/help/acme-outdoor/en`);
  await ben.locator('[data-testid="portal-link"]').click();
  await ben.waitForURL(`${server.base}/help/acme-outdoor/portal`);
  await ben.fill('#portal-email', BEN);
  await ben.locator('[data-testid="portal-sign-in"] button[type="submit"]').click();
  await ben.locator('[data-testid="portal-link-sent"]').waitFor();

  // The link, from the outbox.
  const admin = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
  await open(admin, server.base, '/app/outbox');
  const mail = admin.locator('[data-testid="outbox"] tr', { hasText: BEN }).filter({ hasText: 'Sign in to see your requests' }).first();
  await mail.locator('summary').click();
  const body = await mail.locator('.mail-body').innerText();
  const link = body.match(/(http\S+\/portal\/verify\?token=[A-Za-z0-9_-]+)/)[1];

  await ben.goto(link);
  await ben.locator('[data-testid="portal-use-link"]').click();
  await ben.waitForURL(`${server.base}/help/acme-outdoor/portal`);
  assert.match(await ben.locator('[data-testid="portal-who"]').innerText(), /Ben Carter \(ben\.carter@example\.com\)/);
  const rows = ben.locator('[data-testid="portal-conversation"]');
  await rows.first().waitFor();
  const channels = new Set(await rows.evaluateAll((els) => els.map((e) => e.dataset.channel)));
  assert.ok(channels.has('chat') && channels.has('email'), `channels: ${[...channels]}`);
  // Times read in the viewer's zone, not as raw UTC.
  assert.doesNotMatch(await rows.first().locator('time').innerText(), /UTC/);
  await ben.screenshot({ path: join(SHOTS, 'portal-home.png'), fullPage: true });

  // One conversation: the agent's public reply, then Ben's answer.
  await rows.filter({ hasText: 'Change delivery address' }).locator('a').click();
  await ben.locator('[data-testid="portal-subject"]', { hasText: 'Change delivery address' }).waitFor();
  await ben.locator('[data-testid="portal-message"]', { hasText: 'the address is updated' }).waitFor();
  await ben.fill('#portal-reply-body', 'Thank you! Could the courier ring the bell twice?');
  await ben.locator('[data-testid="portal-reply"] button[type="submit"]').click();
  await ben.locator('[data-testid="portal-message"]', { hasText: 'ring the bell twice' }).waitFor();
  await ben.screenshot({ path: join(SHOTS, 'portal-conversation.png'), fullPage: true });
  watch.stop();
  assert.deepEqual(watch.problems, []);

  // The agent sees it in the inbox.
  await open(admin, server.base, '/app/inbox');
  await admin.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  await openRow(admin, 'Change delivery address');
  await admin.locator('[data-testid="message"]', { hasText: 'ring the bell twice' }).waitFor();
});

test('satisfaction survey by email: the link opens the page with the answer chosen, the agent sees it', async () => {
  const admin = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
  await open(admin, server.base, '/app/inbox');
  await admin.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  await openRow(admin, 'Change delivery address');
  const number = await admin.locator('[data-testid="conversation-pane"]').getAttribute('data-number');
  await admin.selectOption('[data-testid="status-select"]', 'solved');
  await admin.locator('[data-testid="message"]', { hasText: 'with the satisfaction survey' }).waitFor({ timeout: 15000 });

  // The "solved" email, from the outbox: one link per answer.
  await open(admin, server.base, '/app/outbox');
  const mail = admin.locator('[data-testid="outbox"] tr', { hasText: BEN }).filter({ hasText: 'Solved: Change delivery address' }).first();
  await mail.locator('summary').click();
  const body = await mail.locator('.mail-body').innerText();
  assert.match(body, /How would you rate our support\?/);
  const link = body.match(/(http\S+\/portal\/conversation\?token=[A-Za-z0-9_-]+&rate=4#rate)/)[1];

  const ben = await (await browser.newContext({ viewport: { width: 1000, height: 900 } })).newPage();
  await open(ben, '', link);
  assert.equal(await ben.locator('[data-testid="rate-4"]').isChecked(), true);
  await ben.fill('[data-testid="csat-comment"]', 'Quick and friendly, thank you.');
  const watch = watchProblems(ben);
  await ben.locator('[data-testid="csat-send"]').click();
  await ben.locator('[data-testid="csat-thanks"]', { hasText: '4/5' }).waitFor();
  await ben.screenshot({ path: join(SHOTS, 'csat-survey.png'), fullPage: true });
  // A reload shows the answer kept, and it can be changed.
  await ben.reload();
  await ben.locator('[data-testid="csat-current"]', { hasText: 'You rated this conversation 4/5' }).waitFor();
  assert.equal(await ben.locator('[data-testid="rate-4"]').isChecked(), true);
  watch.stop();
  assert.deepEqual(watch.problems, []);

  await open(admin, server.base, `/app/inbox?c=${number}`);
  await admin.locator('[data-testid="csat"]', { hasText: 'CSAT 4/5' }).waitFor({ timeout: 15000 });
  await admin.locator('[data-testid="csat-comment"]', { hasText: 'Quick and friendly' }).waitFor();
});
