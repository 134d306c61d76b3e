// SMS through Twilio in the browser, on the seeded demo workspace, against a
// local fake of Twilio's Messaging API (HTTP Basic checked, 1,600-character
// bodies enforced) that sends its status callbacks signed as Twilio signs them:
// an admin connects the account and sends a test; a customer's SMS arrives
// (signed webhook); the agent answers with a long reply that the composer
// counts in segments; Twilio receives it cut at sentence ends and reports
// delivery, which the agent sees on the message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { SHOTS, open, openRow, launch, signInDemo, startServer } from './support.mjs';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0';
const OUR_NUMBER = '+15550001111';
const CUSTOMER = '+15557771234';

let server;
let browser;
let twilio;
const sent = [];

/// Twilio's signature: base64 HMAC-SHA1 of the URL followed by the sorted
/// parameters, name then value.
function sign(url, params) {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', TOKEN).update(data).digest('base64');
}

async function postSigned(url, params) {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(url, params) },
    body: new URLSearchParams(params).toString(),
  });
  if (!r.ok) throw new Error(`${url} refused: ${r.status} ${await r.text()}`);
  return r;
}

function fakeTwilio() {
  return new Promise((resolve) => {
    const srv = createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = Buffer.concat(chunks).toString();
      const json = (status, obj) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (req.method === 'POST' && req.url === `/2010-04-01/Accounts/${SID}/Messages.json`) {
        const expected = `Basic ${Buffer.from(`${SID}:${TOKEN}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return json(401, { code: 20003, message: 'Authenticate', status: 401 });
        const form = Object.fromEntries(new URLSearchParams(body));
        if (!form.To || !form.From) return json(400, { code: 21604, message: "A 'To' phone number is required.", status: 400 });
        if ((form.Body || '').length > 1600) return json(400, { code: 21617, message: 'The concatenated message body exceeds the 1600 character limit.', status: 400 });
        const sid = `SM${String(sent.length + 1).padStart(32, '0')}`;
        sent.push({ sid, ...form });
        // Twilio counts segments as handsets do (the bodies here are plain GSM-7).
        const len = (form.Body || '').length;
        const segments = len <= 160 ? 1 : Math.ceil(len / 153);
        json(201, { sid, status: 'queued', to: form.To, from: form.From, body: form.Body, num_segments: String(segments) });
        // Twilio reports progress on its own, a moment later.
        setTimeout(async () => {
          if (!form.StatusCallback) return;
          for (const st of ['sent', 'delivered']) {
            await postSigned(form.StatusCallback, { AccountSid: SID, MessageSid: sid, MessageStatus: st });
          }
        }, 50);
        return undefined;
      }
      res.writeHead(404);
      res.end();
      return undefined;
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

before(async () => {
  server = await startServer({ seed: true });
  twilio = await fakeTwilio();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  twilio?.close();
  server?.stop();
});

test('SMS: connect Twilio, a text arrives, a long reply goes out in parts and is delivered', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 1100 } })).newPage();
  await signInDemo(page, server.base, 'maria.admin@switchboard.test');

  // Settings: not configured, then connected.
  await open(page, server.base, '/app/settings/sms');
  await page.locator('[data-testid="twilio-card"][data-configured="false"]').waitFor();
  await page.fill('#tw-sid', SID);
  await page.fill('#tw-token', TOKEN);
  await page.fill('#tw-sms', OUR_NUMBER);
  await page.fill('#tw-base', `http://127.0.0.1:${twilio.address().port}/`);
  await page.click('[data-testid="twilio-save"]');
  await page.locator('[data-testid="twilio-card"][data-configured="true"]').waitFor();
  const inboundUrl = (await page.locator('[data-testid="twilio-inbound-url"]').textContent()).trim();
  assert.match(inboundUrl, /\/hooks\/twilio\/[A-Za-z0-9]{32}$/);
  assert.ok(!(await page.content()).includes(TOKEN), 'the auth token is never shown');

  // Send test: Twilio accepts it.
  await page.fill('#tw-test-to', CUSTOMER);
  await page.locator('[data-testid="twilio-test"] button[type="submit"]').click();
  await page.locator('[data-testid="twilio-test-result"]').waitFor();
  assert.equal(sent.length, 1);
  assert.equal(sent[0].To, CUSTOMER);
  assert.equal(sent[0].From, OUR_NUMBER);
  await page.screenshot({ path: join(SHOTS, 'sms-settings.png'), fullPage: true });

  // A customer texts in; an unsigned copy is refused.
  const params = {
    AccountSid: SID, MessageSid: 'SM9000000000000000000000000000001', From: CUSTOMER, To: OUR_NUMBER,
    Body: 'Hi, my order SMS-7731 has not arrived yet. Can you check where it is?', NumMedia: '0',
  };
  const unsigned = await fetch(inboundUrl, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString(),
  });
  assert.equal(unsigned.status, 403);
  await postSigned(inboundUrl, params);

  await open(page, server.base, '/app/inbox');
  await page.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  await openRow(page, 'SMS-7731');
  await page.locator('[data-testid="message"]', { hasText: 'has not arrived yet' }).waitFor();

  // A long reply: the composer counts it; Twilio receives it cut at sentence ends.
  const sentence = 'Your parcel left our warehouse on Monday and the carrier expects to deliver it by Thursday afternoon. ';
  const reply = sentence.repeat(18).trim();
  await page.fill('[data-testid="composer-body"]', reply);
  const counter = await page.locator('[data-testid="sms-counter"]').textContent();
  assert.match(counter, /SMS segments \(GSM-7\) · sent as 2 messages/);
  await page.click('[data-testid="send"]');

  const deadline = Date.now() + 20000;
  while (sent.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const parts = sent.slice(1);
  assert.equal(parts.length, 2, JSON.stringify(sent.map((s) => s.Body?.length)));
  parts.forEach((p, i) => {
    assert.ok(p.Body.length <= 1600);
    // The last part may end with the agent's signature.
    if (i < parts.length - 1) assert.ok(p.Body.endsWith('afternoon.'), `cut mid-sentence: …${p.Body.slice(-30)}`);
    assert.equal(p.To, CUSTOMER);
    assert.match(p.StatusCallback, /\/hooks\/twilio\/[A-Za-z0-9]{32}\/status$/);
  });
  assert.ok(parts.map((p) => p.Body).join(' ').startsWith(reply));

  // Delivery, reported by Twilio's callbacks, shows on the message.
  const mine = page.locator('[data-testid="message"]', { hasText: 'left our warehouse' }).last();
  await mine.locator('[data-testid="delivery"]', { hasText: 'delivered' }).waitFor({ timeout: 20000 });
  const detail = await mine.locator('[data-testid="delivery-detail"]').textContent();
  const segs = Number(detail.match(/(\d+) SMS segments/)[1]);
  const expected = parts.reduce((n, p) => n + (p.Body.length <= 160 ? 1 : Math.ceil(p.Body.length / 153)), 0);
  assert.equal(segs, expected, detail);
  assert.match(detail, /^2 messages · \d+ SMS segments \(GSM-7\) · \$0\.\d+$/);
  await mine.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(SHOTS, 'sms-conversation.png') });
});
