// Campaigns in the browser, on the seeded demo workspace: an admin sets how
// campaigns send (quiet hours off, so the test does not depend on the hour)
// and keeps a suppression list; publishes the seeded campaign for the current
// Regulars and watches its funnel count the email; opens the email's
// unsubscribe link (from the outbox) as the customer and unsubscribes; a second
// campaign drawn on the canvas then skips that address (suppressed), and the
// address is on the list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, canvas, arrived, launch, open, signInDemo, startServer } from './support.mjs';

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


/// Opens a campaign's analytics until `step` shows `want` (the server's job
/// workers send within a moment of publishing).
async function funnel(path, step, want, cell = null) {
  let text = '';
  for (let i = 0; i < 30 && !want.test(text); i += 1) {
    await open(admin, server.base, path);
    await admin.locator('[data-testid="flow-tab-stats"]').click();
    await admin.locator('[data-testid="campaign-stats"]').waitFor();
    const row = admin.locator(`[data-testid="campaign-step"][data-node="${step}"]`);
    const target = cell ? row.locator(`[data-testid="${cell}"]`) : row;
    text = (await row.count()) ? (await target.innerText()).trim() : '';
  }
  assert.match(text, want);
  return text;
}

test('sending settings are saved, and bad ones refused with the field named', async () => {
  await open(admin, server.base, '/app/settings/sending');
  const form = admin.locator('[data-testid="sending-settings"]');
  await form.locator('[data-testid="default-zone"]').fill('Mars/Olympus');
  await form.locator('[data-testid="save-sending"]').click();
  await form.locator('.field-error', { hasText: 'is not a time zone' }).waitFor();
  await form.locator('[data-testid="default-zone"]').fill('Europe/Berlin');
  await form.locator('[data-testid="quiet-start"]').selectOption('');
  await form.locator('[data-testid="quiet-end"]').selectOption('');
  await form.locator('[data-testid="save-sending"]').click();
  await form.locator('[data-testid="sending-saved"]').waitFor();
  await open(admin, server.base, '/app/settings/sending');
  assert.equal(await admin.locator('[data-testid="default-zone"]').inputValue(), 'Europe/Berlin');
  assert.equal(await admin.locator('[data-testid="quiet-start"]').inputValue(), '');

  // The suppression list: a bad address is refused, a good one listed.
  const list = admin.locator('[data-testid="suppressions"]');
  await list.locator('[data-testid="suppress-email"]').fill('bounced@example.com');
  await list.locator('[data-testid="suppress-reason"]').selectOption('bounced');
  await list.locator('[data-testid="suppress-add"]').click();
  await admin.locator('[data-testid="suppression"][data-email="bounced@example.com"]').waitFor();
  await admin.screenshot({ path: join(SHOTS, 'campaign-sending.png'), fullPage: true });
});

test('a published campaign emails the segment; its unsubscribe link stops later campaigns', async () => {
  await open(admin, server.base, '/app/flows');
  await admin.locator('[data-testid="flow-row"]', { hasText: 'Thank our regulars' }).locator('a').click();
  await arrived(admin, /\/app\/flows\/\d+$/);
  const path = new URL(admin.url()).pathname;
  await node('thanks').waitFor();
  // A campaign's palette: emails and waits, no chat steps.
  await admin.locator('[data-testid="palette-item"][data-type="send_email"]').waitFor();
  assert.equal(await admin.locator('[data-testid="palette-item"][data-type="ask"]').count(), 0);
  // Include the current Regulars, then publish.
  await node('start').locator('.fc-title').click();
  const start = admin.locator('[data-testid="flow-step"][data-node="start"]');
  await start.locator('[data-testid="entry-existing"]').check();
  await node('start').locator('text=Members of “Regulars”').waitFor();
  await admin.locator('[data-testid="flow-publish"]').click();
  await admin.locator('[data-testid="flow-notice"]', { hasText: 'Published as version 1' }).waitFor();
  await funnel(path, 'thanks', /^[1-9]\d*$/, 'campaign-sent');
  await admin.screenshot({ path: join(SHOTS, 'campaign-funnel.png'), fullPage: true });

  // The customer's copy (the outbox; no SMTP in the demo) has the link.
  await open(admin, server.base, '/app/outbox');
  const mail = admin.locator('[data-testid="outbox"] tr', { hasText: 'Thanks for sticking with us' }).first();
  await mail.locator('summary').click();
  const body = await mail.locator('.mail-body').innerText();
  const link = body.match(/Unsubscribe: (http\S+\/u)/)[1];
  const to = (await mail.locator('td').first().innerText()).trim();
  const customer = await (await browser.newContext()).newPage();
  await customer.goto(link);
  assert.match(await customer.locator('[data-testid="sub-state"]').innerText(), new RegExp(to.replace('.', '\\.')));
  await customer.locator('[data-testid="unsubscribe"]').click();
  await customer.locator('[data-testid="sub-state"]', { hasText: 'will get no more emails' }).waitFor();
  await customer.screenshot({ path: join(SHOTS, 'campaign-unsubscribed.png'), fullPage: true });
  await open(admin, server.base, '/app/settings/sending');
  await admin.locator(`[data-testid="suppression"][data-email="${to}"]`, { hasText: 'Unsubscribed' }).waitFor();

  // A second campaign to the same segment, drawn on the canvas, skips them.
  await open(admin, server.base, '/app/flows');
  await admin.locator('[data-testid="flow-name"]').fill('Winter sale');
  await admin.locator('[data-testid="flow-kind"]').selectOption('campaign');
  await admin.locator('[data-testid="flow-create"]').click();
  await arrived(admin, /\/app\/flows\/\d+$/);
  const second = new URL(admin.url()).pathname;
  await node('start').waitFor();
  await node('start').locator('.fc-title').click();
  const entry = admin.locator('[data-testid="flow-step"][data-node="start"]');
  await entry.locator('[data-testid="entry-segment"]').selectOption({ label: 'Regulars' });
  await entry.locator('[data-testid="entry-existing"]').check();
  await admin.locator('[data-testid="palette-item"][data-type="send_email"]').click();
  await node('send_email_1').waitFor();
  const step = admin.locator('[data-testid="flow-step"][data-node="send_email_1"]');
  await step.locator('[data-testid="step-subject"]').fill('Winter sale');
  await step.locator('[data-testid="step-subject"]').press('Tab');
  await step.locator('[data-testid="step-body"]').fill('Everything is 30% off: https://acme-outdoor.example/winter');
  await step.locator('[data-testid="step-body"]').press('Tab');
  await drag(port('start', 'next'), node('send_email_1'));
  await admin.waitForFunction(() =>
    document.querySelector('[data-testid="flow-edge"][data-source="start"]')?.getAttribute('data-target') === 'send_email_1');
  await drag(port('send_email_1', 'next'), node('end'));
  await edge('send_email_1', 'next').waitFor();
  await admin.locator('[data-testid="flow-problems"]').waitFor({ state: 'detached' });
  await admin.locator('[data-testid="flow-publish"]').click();
  await admin.locator('[data-testid="flow-notice"]', { hasText: 'Published as version 1' }).waitFor();
  const row = await funnel(second, 'send_email_1', /\b1 suppressed\b/);
  assert.match(row, /Winter sale/);
  await admin.screenshot({ path: join(SHOTS, 'campaign-builder.png'), fullPage: true });
});

test('a campaign shows an in-app message on the store at the next visit', async () => {
  // A shopper writes through the widget on the store: a known customer now.
  const shopperCtx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const shopper = await shopperCtx.newPage();
  await shopper.goto(server.base + '/demo/store');
  const widget = shopper.frameLocator('iframe[data-switchboard-widget]');
  await widget.locator('[data-testid="widget-launcher"]').click();
  await widget.locator('[data-testid="widget-input"]').fill('Just looking around, thanks');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-message"][data-from="customer"]', { hasText: 'Just looking' }).waitFor();

  // Customers who have been on the site.
  await open(admin, server.base, '/app/segments');
  await admin.click('[data-testid="new-segment"]');
  const seg = admin.locator('[data-testid="segment-editor"]');
  await seg.locator('[data-testid="segment-name"]').fill('Store visitors');
  await seg.locator('[data-testid="group"]').locator(':scope > .row > [data-testid="add-condition"]').click();
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-field"]', 'site.page_views');
  await admin.selectOption('[data-testid="cond-1"] [data-testid="cond-op"]', 'above');
  await admin.fill('[data-testid="cond-1"] [data-testid="cond-value"]', '0');
  await seg.locator('[data-testid="save-segment"]').click();
  await seg.locator('[data-testid="segment-saved"]').waitFor();

  // The message, for campaigns only.
  await open(admin, server.base, '/app/messages');
  await admin.locator('[data-testid="new-message"]').click();
  const ed = admin.locator('[data-testid="message-editor"]');
  await ed.locator('[data-testid="message-name"]').fill('Welcome back');
  await ed.locator('[data-testid="message-style"]').selectOption('slide_in');
  await ed.locator('[data-testid="message-title"]').fill('Good to see you again');
  await ed.locator('[data-testid="message-body"]').fill('The winter range is in: have a look.');
  await ed.locator('[data-testid="message-button"]').fill('See the range');
  await ed.locator('[data-testid="message-url"]').fill('/demo/store#range');
  await ed.locator('[data-testid="message-audience"]').selectOption('campaign');
  await ed.locator('[data-testid="message-status"]').selectOption('live');
  await ed.locator('[data-testid="save-message"]').click();
  await ed.locator('[data-testid="message-saved"]').waitFor();
  // Its own rules show it to nobody.
  const before = shopper.waitForResponse((r) => r.url().endsWith('/widget/api/visit'));
  await shopper.reload();
  assert.deepEqual((await (await before).json()).messages, []);

  // The campaign: Start (Store visitors, current members too) → In-app message → End.
  await open(admin, server.base, '/app/flows');
  await admin.locator('[data-testid="flow-name"]').fill('Welcome back');
  await admin.locator('[data-testid="flow-kind"]').selectOption('campaign');
  await admin.locator('[data-testid="flow-create"]').click();
  await arrived(admin, /\/app\/flows\/\d+$/);
  const path = new URL(admin.url()).pathname;
  await node('start').waitFor();
  await node('start').locator('.fc-title').click();
  const entry = admin.locator('[data-testid="flow-step"][data-node="start"]');
  await entry.locator('[data-testid="entry-segment"]').selectOption({ label: 'Store visitors' });
  await entry.locator('[data-testid="entry-existing"]').check();
  await admin.locator('[data-testid="palette-item"][data-type="send_in_app"]').click();
  await node('send_in_app_1').waitFor();
  const step = admin.locator('[data-testid="flow-step"][data-node="send_in_app_1"]');
  await step.locator('[data-testid="step-message"]').selectOption({ label: 'Welcome back' });
  await node('send_in_app_1').locator('.fc-summary', { hasText: '“Welcome back”' }).waitFor();
  await drag(port('start', 'next'), node('send_in_app_1'));
  await admin.waitForFunction(() =>
    document.querySelector('[data-testid="flow-edge"][data-source="start"]')?.getAttribute('data-target') === 'send_in_app_1');
  await drag(port('send_in_app_1', 'next'), node('end'));
  await edge('send_in_app_1', 'next').waitFor();
  await admin.locator('[data-testid="flow-problems"]').waitFor({ state: 'detached' });
  await admin.locator('[data-testid="flow-publish"]').click();
  await admin.locator('[data-testid="flow-notice"]', { hasText: 'Published as version 1' }).waitFor();
  await funnel(path, 'send_in_app_1', /^1$/, 'campaign-waiting');

  // The shopper's next page view shows it; the click is counted.
  const visit = shopper.waitForResponse((r) => r.url().endsWith('/widget/api/visit'));
  const seen = shopper.waitForResponse((r) => r.url().endsWith('/widget/api/targeted') && r.request().postData().includes('shown'));
  await shopper.reload();
  assert.deepEqual((await (await visit).json()).messages.map((m) => m.title), ['Good to see you again']);
  const slide = shopper.locator('[data-switchboard-message][data-style="slide_in"]');
  await slide.waitFor();
  await seen;
  await shopper.screenshot({ path: join(SHOTS, 'campaign-in-app-store.png') });
  const clicked = shopper.waitForResponse((r) => r.url().endsWith('/widget/api/targeted') && r.request().postData().includes('clicked'));
  await slide.locator('[data-switchboard-button]').click();
  await clicked;
  await funnel(path, 'send_in_app_1', /^1$/, 'campaign-clicked');
  assert.equal((await admin.locator('[data-testid="campaign-step"][data-node="send_in_app_1"] [data-testid="campaign-seen"]').innerText()).trim(), '1');
  await admin.screenshot({ path: join(SHOTS, 'campaign-in-app-funnel.png'), fullPage: true });
  // Seen once: the next visit shows nothing.
  const again = shopper.waitForResponse((r) => r.url().endsWith('/widget/api/visit'));
  await shopper.reload();
  assert.deepEqual((await (await again).json()).messages, []);

  // Switched off, it stays published and enrols nobody new; switched on again.
  await admin.locator('[data-testid="flow-switch"]', { hasText: 'Switch off' }).click();
  await admin.locator('[data-testid="flow-notice"]', { hasText: 'nobody new enters' }).waitFor();
  await admin.locator('[data-testid="flow-status"]', { hasText: 'Live: version 1 (switched off)' }).waitFor();
  await open(admin, server.base, path);
  await admin.locator('[data-testid="flow-status"]', { hasText: '(switched off)' }).waitFor();
  await admin.locator('[data-testid="flow-switch"]', { hasText: 'Switch on' }).click();
  await admin.locator('[data-testid="flow-notice"]', { hasText: 'Switched on.' }).waitFor();
  assert.equal((await admin.locator('[data-testid="flow-status"]').innerText()).trim(), 'Live: version 1');
});
