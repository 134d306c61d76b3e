// The storefront in the browser, on the seeded demo store: an admin connects
// Stripe (a local fake that serves the Checkout Sessions API and signs its
// webhooks as Stripe documents); a shopper browses a category, picks a
// variant, adds it to the cart, checks out, pays on the fake Stripe page and
// lands on the order page, which shows the order paid. The shopper writes to
// support; an agent sees the order on the ticket and proposes a refund; an
// approver approves; Stripe is asked for the refund and the order shows
// refunded to the agent and the shopper. The storefront pages carry no wasm
// and stay within 50 KB gzip (HTML and stylesheet).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { SHOTS, launch, open, signInDemo, startServer, watchProblems } from './support.mjs';

const SECRET = 'sk_test_e2e_fake';
const WHSEC = 'whsec_e2e_fake';
const STORE = '/store/acme-outdoor';

let server;
let browser;
let stripe;
const sessions = new Map();
const refunds = [];

/// A fake Stripe: `POST /v1/checkout/sessions` (secret key checked), a payment
/// page per session, and on "Pay" the signed `checkout.session.completed`
/// webhook to the store, then back to the session's success URL.
function fakeStripe(storeBase) {
  return new Promise((resolve) => {
    const srv = createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = Buffer.concat(chunks).toString();
      const base = `http://127.0.0.1:${srv.address().port}/`;
      if (req.method === 'POST' && req.url === '/v1/checkout/sessions') {
        if (req.headers.authorization !== `Bearer ${SECRET}`) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }));
          return;
        }
        const form = Object.fromEntries(new URLSearchParams(body));
        const id = `cs_test_${sessions.size + 1}`;
        sessions.set(id, form);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id, object: 'checkout.session', url: `${base}pay/${id}`, payment_status: 'unpaid' }));
        return;
      }
      if (req.method === 'POST' && req.url === '/v1/refunds') {
        if (req.headers.authorization !== `Bearer ${SECRET}`) {
          res.writeHead(401, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } }));
          return;
        }
        const form = Object.fromEntries(new URLSearchParams(body));
        const key = req.headers['idempotency-key'] || '';
        let r = refunds.find((x) => key && x.key === key);
        if (!r) {
          if (!/^pi_cs_test_\d+$/.test(form.payment_intent || '') || !(Number(form.amount) > 0)) {
            res.writeHead(400, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { type: 'invalid_request_error', message: 'No such payment_intent' } }));
            return;
          }
          r = { id: `re_test_${refunds.length + 1}`, key, intent: form.payment_intent, amount: Number(form.amount) };
          refunds.push(r);
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: r.id, object: 'refund', amount: r.amount, status: 'succeeded' }));
        return;
      }
      const m = req.url.match(/^\/pay\/(cs_test_\d+)$/);
      if (m && sessions.has(m[1])) {
        const form = sessions.get(m[1]);
        if (req.method === 'GET') {
          let total = 0;
          for (let i = 0; form[`line_items[${i}][quantity]`]; i += 1) {
            total += Number(form[`line_items[${i}][price_data][unit_amount]`]) * Number(form[`line_items[${i}][quantity]`]);
          }
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(`<!doctype html><title>Fake Stripe</title><h1>Pay</h1><p data-testid="amount">${total}</p>`
            + `<form method="post"><button data-testid="pay">Pay</button></form>`);
          return;
        }
        const event = JSON.stringify({
          id: `evt_${m[1]}`, object: 'event', type: 'checkout.session.completed',
          data: { object: { id: m[1], object: 'checkout.session', client_reference_id: form.client_reference_id, payment_status: 'paid', payment_intent: `pi_${m[1]}` } },
        });
        const t = Math.floor(Date.now() / 1000);
        const sig = createHmac('sha256', WHSEC).update(`${t}.${event}`).digest('hex');
        const r = await fetch(`${storeBase}/hooks/stripe/acme-outdoor`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': `t=${t},v1=${sig}` }, body: event,
        });
        if (!r.ok) throw new Error(`webhook refused: ${r.status} ${await r.text()}`);
        res.writeHead(303, { location: form.success_url });
        res.end();
        return;
      }
      res.writeHead(404);
      res.end();
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

before(async () => {
  server = await startServer({ seed: true });
  stripe = await fakeStripe(server.base);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  stripe?.close();
  server?.stop();
});

/// Goes to a storefront page (no hydration to wait for) and fails on any
/// console error or failed request.
async function visit(page, url) {
  const watch = watchProblems(page);
  await page.goto(url);
  await page.waitForLoadState('load');
  watch.stop();
  assert.deepEqual(watch.problems, [], `${url} reported problems`);
}

test('storefront pages are light: no wasm, at most 50 KB gzip with their stylesheet', async () => {
  const css = await (await fetch(`${server.base}/store.css`)).text();
  for (const path of [STORE, `${STORE}/c/tents`, `${STORE}/sitemap.xml`]) {
    const r = await fetch(server.base + path);
    assert.equal(r.status, 200, path);
    const html = await r.text();
    assert.ok(!/\.wasm|hydrate/.test(html), `${path} carries no wasm`);
    const weight = gzipSync(html).length + gzipSync(css).length;
    assert.ok(weight <= 50 * 1024, `${path}: ${weight} B gzip`);
  }
});

test('an admin connects Stripe; a shopper buys a variant and pays on Stripe', async () => {
  const admin = await (await browser.newContext({ viewport: { width: 1300, height: 900 } })).newPage();
  await signInDemo(admin, server.base, 'maria.admin@switchboard.test');
  await open(admin, server.base, '/app/settings/store');
  await admin.locator('[data-testid="stripe-status"][data-connected="false"]').waitFor();
  const f = admin.locator('[data-testid="stripe-form"]');
  await f.locator('#s-secret').fill('pk_wrong');
  await f.locator('#s-webhook').fill(WHSEC);
  await f.locator('#s-base').fill(`http://127.0.0.1:${stripe.address().port}/`);
  await f.locator('button[type="submit"]').click();
  await admin.locator('.field-error', { hasText: 'starts with sk_' }).waitFor();
  await f.locator('#s-secret').fill(SECRET);
  await f.locator('button[type="submit"]').click();
  await admin.locator('[data-testid="stripe-status"][data-connected="true"]').waitFor();
  await admin.screenshot({ path: join(SHOTS, 'store-settings.png'), fullPage: true });

  const shop = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await visit(shop, server.base + STORE);
  await shop.screenshot({ path: join(SHOTS, 'store-home.png'), fullPage: true });
  await shop.locator('.st-nav a', { hasText: 'Tents' }).click();
  await shop.waitForURL(/\/c\/tents$/);
  await shop.locator('[data-testid="product-card"] a').first().click();
  await shop.waitForURL(/\/p\//);
  const product = await shop.locator('h1').innerText();
  // The first variant in stock is chosen; pick the last one in stock instead.
  const choices = shop.locator('.st-variant input:not([disabled])');
  await choices.last().check();
  await shop.locator('input[name="quantity"]').fill('2');
  await shop.screenshot({ path: join(SHOTS, 'store-product.png'), fullPage: true });
  await shop.locator('[data-testid="add-to-cart"] button[type="submit"]').click();
  await shop.waitForURL(/\/cart$/);
  await shop.locator('[data-testid="cart-line"]', { hasText: product }).waitFor();
  assert.match(await shop.locator('[data-testid="cart-link"]').innerText(), /Cart \(2\)/);
  const total = await shop.locator('[data-testid="cart-total"]').innerText();

  const form = shop.locator('[data-testid="checkout-form"]');
  await form.locator('input[name="email"]').fill('shopper@example.com');
  await form.locator('input[name="name"]').fill('Sam Shopper');
  await form.locator('input[name="line1"]').fill('Hauptstr. 5');
  await form.locator('input[name="postcode"]').fill('10115');
  await form.locator('input[name="city"]').fill('Berlin');
  await shop.screenshot({ path: join(SHOTS, 'store-cart.png'), fullPage: true });
  await form.locator('button[type="submit"]').click();
  await shop.waitForURL(/\/pay\/cs_test_\d+$/);
  // Stripe is asked for exactly what the cart showed.
  const cents = Number(total.replace(/[^0-9]/g, ''));
  assert.equal(Number(await shop.locator('[data-testid="amount"]').innerText()), cents);
  await shop.locator('[data-testid="pay"]').click();
  await shop.waitForURL(/\/orders\/\d+\?key=/);
  await shop.locator('[data-testid="order-status"][data-status="paid"]').waitFor();
  await shop.locator('[data-testid="order-timeline"] li', { hasText: 'Paid' }).waitFor();
  assert.equal(await shop.locator('[data-testid="cart-link"]').innerText(), 'Cart');
  await shop.screenshot({ path: join(SHOTS, 'store-order-paid.png'), fullPage: true });
  const number = shop.url().match(/\/orders\/(\d+)/)[1];

  // The shopper writes to support (same email: the same customer).
  const support = await (await browser.newContext()).newPage();
  await open(support, server.base, '/support/acme-outdoor-support');
  await support.fill('#sf-name', 'Sam Shopper');
  await support.fill('#sf-email', 'shopper@example.com');
  await support.fill('#sf-subject', 'Does not fit');
  await support.fill('#sf-message', 'What I bought does not fit me at all, sorry. Can I have my money back?');
  await support.click('[data-testid="support-submit"]');
  const ticket = Number((await support.locator('[data-testid="ticket-number"]').innerText()).replace(/\D/g, ''));

  // An agent sees the order on the ticket and proposes refunding it.
  const agent = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signInDemo(agent, server.base, 'sam.agent@switchboard.test');
  await open(agent, server.base, `/app/inbox?c=${ticket}`);
  const order = agent.locator(`[data-testid="customer-order"][data-number="${number}"]`);
  await order.waitFor();
  assert.equal(await order.getAttribute('data-status'), 'paid');
  const propose = order.locator('button[type="submit"]');
  assert.match(await propose.innerText(), new RegExp(`Propose refund of €${(cents / 100).toFixed(2).replace('.', '\\.')}`));
  await order.locator('input[type="text"]').fill('Does not fit; the customer asked for their money back');
  await propose.click();
  await order.locator('[role="status"]', { hasText: 'waits for an approver' }).waitFor();
  await agent.screenshot({ path: join(SHOTS, 'store-refund-proposed.png') });
  assert.equal(refunds.length, 0, 'nothing is refunded before approval');

  // An approver approves; the refund goes to Stripe once.
  await open(admin, server.base, '/app/approvals');
  const card = admin.locator('[data-testid="action-card"]', { hasText: `Refund order ${number}` });
  await card.waitFor({ timeout: 15000 });
  assert.match(await card.innerText(), /High risk/);
  await card.locator('textarea').fill('Approved: unworn, within 30 days.');
  await card.locator('[data-testid="approve"]').click();
  await card.waitFor({ state: 'detached', timeout: 15000 });
  await admin.locator('button.tab', { hasText: 'Finished' }).click();
  await admin
    .locator('[data-testid="action-card"][data-status="completed"]', { hasText: `Refund order ${number}` })
    .waitFor({ timeout: 15000 });
  assert.equal(refunds.length, 1);
  assert.equal(refunds[0].amount, cents);

  // The order shows refunded on the ticket and to the shopper.
  await open(agent, server.base, `/app/inbox?c=${ticket}`);
  await agent.locator(`[data-testid="customer-order"][data-number="${number}"][data-status="refunded"]`).waitFor({ timeout: 15000 });
  await agent.screenshot({ path: join(SHOTS, 'store-refunded-sidebar.png') });
  await visit(shop, shop.url());
  await shop.locator('[data-testid="order-status"][data-status="refunded"]').waitFor();
  await shop.screenshot({ path: join(SHOTS, 'store-order-refunded.png'), fullPage: true });
});

test('an agent returns, exchanges and changes orders from the forms; money waits for an approver', async () => {
  const agent = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  await signInDemo(agent, server.base, 'sam.agent@switchboard.test');

  // A delivered demo order (Ana's 1001): return one unit. The exact refund is
  // quoted before anything is proposed, and the proposal waits for a person.
  await open(agent, server.base, '/app/orders?o=1001');
  const pane = agent.locator('[data-testid="order-pane"]');
  await pane.locator('[data-testid="order-more"]').click();
  const ret = pane.locator('[data-testid="return-items"]');
  await ret.locator('summary').click();
  const submit = ret.locator('button[type="submit"]');
  assert.equal(await submit.isDisabled(), true, 'nothing to propose before units are picked');
  await ret.locator('input[type="number"]').first().fill('1');
  await ret.locator('[data-testid="return-quote"]', { hasText: /^Refund €\d+\.\d\d$/ }).waitFor();
  assert.match(await submit.innerText(), /^Propose return and refund of €\d+\.\d\d$/);
  await ret.locator('label.field', { hasText: 'Refund to' }).locator('select').selectOption({ index: 1 });
  await ret.locator('label.field', { hasText: 'Why' }).locator('input').fill('The pole set arrived bent');
  await agent.screenshot({ path: join(SHOTS, 'order-return-form.png'), fullPage: true });
  await submit.click();
  await pane.locator('[data-testid="order-change-result"]', { hasText: 'waits for an approver' }).waitFor();
  assert.equal(await pane.locator('[data-testid="order-pane-status"]').getAttribute('data-status'), 'delivered');

  // An exchange shows the price difference it will settle.
  const ex = pane.locator('[data-testid="exchange-items"]');
  await ex.locator('summary').click();
  await ex.locator('[data-testid="exchange-difference"]', { hasText: 'Same price: no money moves.' }).waitFor();

  // A pending order (Ana's 1002) offers item, address and payment changes,
  // and no returns; a shipped one says why nothing is offered.
  await open(agent, server.base, '/app/orders?o=1002');
  await pane.locator('[data-testid="order-more"]').click();
  await pane.locator('[data-testid="change-items"]').waitFor();
  await pane.locator('[data-testid="change-address"]').waitFor();
  await pane.locator('[data-testid="change-payment"]').waitFor();
  assert.equal(await pane.locator('[data-testid="return-items"]').count(), 0);
  const addr = pane.locator('[data-testid="change-address"]');
  await addr.locator('summary').click();
  assert.equal(await addr.locator('label.field', { hasText: 'Postcode' }).locator('input').inputValue(), '10115');
  await addr.locator('label.field', { hasText: 'Postcode' }).locator('input').fill('20095');
  await addr.locator('label.field', { hasText: 'City' }).locator('input').fill('Hamburg');
  await addr.locator('label.field', { hasText: 'Why' }).locator('input').fill('Moving to Hamburg');
  await agent.screenshot({ path: join(SHOTS, 'order-change-forms.png'), fullPage: true });
  await addr.locator('button[type="submit"]').click();
  // The demo workspace's default policy: a person approves changes too.
  await pane.locator('[data-testid="order-change-result"]', { hasText: 'waits for an approver' }).waitFor();
  await open(agent, server.base, '/app/approvals');
  await agent.locator('[data-testid="action-card"]', { hasText: 'Ship order 1002 to' }).waitFor();

  // The same forms open from the order on Ana's ticket.
  await open(agent, server.base, '/app/inbox?c=1');
  const card = agent.locator('[data-testid="customer-card"]');
  assert.equal(await card.locator('h2').innerText(), 'Ana Souza');
  const order = card.locator('[data-testid="customer-order"][data-number="1001"]');
  await order.locator('[data-testid="order-more"]').click();
  await order.locator('[data-testid="return-items"]').waitFor();
  await order.locator('[data-testid="exchange-items"]').waitFor();
  await agent.screenshot({ path: join(SHOTS, 'order-forms-sidebar.png'), fullPage: true });
});
