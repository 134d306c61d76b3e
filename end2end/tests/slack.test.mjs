// Slack in the browser, on the seeded demo workspace, against a local fake of
// Slack's Web API (bearer token checked; JSON only for chat.postMessage, query
// arguments for auth.test and users.info, as Slack documents): an admin
// connects the Slack app and sends a test; a teammate types `/ticket` (signed
// as Slack signs it: HMAC-SHA256 of `v0:{timestamp}:{body}`); the ticket shows
// in the inbox; the agent's reply goes into the ticket's Slack thread and shows
// as sent; the requester's answer in the thread comes back to the agent.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { SHOTS, open, openRow, launch, signInDemo, startServer } from './support.mjs';

const TOKEN = 'xoxb-e2e-1111-2222-fakeSlackBotToken';
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TEAM = 'T0E2E';

let server;
let browser;
let slack;
const posts = [];

function signed(body) {
  const ts = Math.floor(Date.now() / 1000).toString();
  const sig = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  return { 'x-slack-request-timestamp': ts, 'x-slack-signature': sig };
}

async function postToUs(url, body, contentType) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...signed(body) }, body });
  const text = await r.text();
  if (!r.ok) throw new Error(`${url} refused: ${r.status} ${text}`);
  return JSON.parse(text);
}

function fakeSlack() {
  return new Promise((resolve) => {
    const srv = createServer(async (req, res) => {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      const body = Buffer.concat(chunks).toString();
      const json = (obj) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      const url = new URL(req.url, 'http://fake');
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return json({ ok: false, error: 'invalid_auth' });
      if (req.method === 'GET' && url.pathname === '/api/auth.test') {
        return json({ ok: true, team: 'Acme Outdoor', team_id: TEAM, user: 'switchboard', user_id: 'U0BOT', bot_id: 'B0BOT' });
      }
      if (req.method === 'GET' && url.pathname === '/api/users.info') {
        if (url.searchParams.get('user') !== 'U0ANA') return json({ ok: false, error: 'user_not_found' });
        return json({ ok: true, user: { id: 'U0ANA', name: 'ana', real_name: 'Ana Lopez', profile: { display_name: 'Ana Lopez' } } });
      }
      if (req.method === 'POST' && url.pathname === '/api/chat.postMessage') {
        if (!(req.headers['content-type'] || '').startsWith('application/json')) return json({ ok: false, error: 'invalid_json' });
        const m = JSON.parse(body);
        const channel = { '#support': 'C0SUPPORT', C0SUPPORT: 'C0SUPPORT', C0ITHELP: 'C0ITHELP' }[m.channel];
        if (!channel) return json({ ok: false, error: 'channel_not_found' });
        if (m.thread_ts && !posts.some((p) => p.ts === m.thread_ts)) return json({ ok: false, error: 'thread_not_found' });
        const ts = `1700000000.${String(posts.length + 1).padStart(6, '0')}`;
        posts.push({ channel, text: m.text, thread_ts: m.thread_ts, ts });
        return json({ ok: true, channel, ts });
      }
      return json({ ok: false, error: 'unknown_method' });
    });
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

async function waitFor(check, what) {
  const deadline = Date.now() + 20000;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(check(), `timed out waiting for ${what}: ${JSON.stringify(posts)}`);
}

before(async () => {
  server = await startServer({ seed: true });
  slack = await fakeSlack();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  slack?.close();
  server?.stop();
});

test('Slack: connect the app, /ticket opens a ticket, the reply goes to its thread and back', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1440, height: 1100 } })).newPage();
  await signInDemo(page, server.base, 'maria.admin@switchboard.test');

  // Settings: not configured, then connected to the team the token belongs to.
  await open(page, server.base, '/app/settings/slack');
  await page.locator('[data-testid="slack-card"][data-configured="false"]').waitFor();
  await page.fill('#sl-token', TOKEN);
  await page.fill('#sl-secret', SECRET);
  await page.fill('#sl-channel', '#support');
  await page.fill('#sl-base', `http://127.0.0.1:${slack.address().port}/api/`);
  await page.click('[data-testid="slack-save"]');
  await page.locator('[data-testid="slack-card"][data-configured="true"]').waitFor();
  assert.match(await page.locator('[data-testid="slack-status"]').textContent(), /Acme Outdoor/);
  const commandUrl = (await page.locator('[data-testid="slack-command-url"]').textContent()).trim();
  assert.match(commandUrl, /\/hooks\/slack\/[A-Za-z0-9]{32}\/command$/);
  const eventsUrl = (await page.locator('[data-testid="slack-events-url"]').textContent()).trim();
  assert.ok(!(await page.content()).includes(TOKEN), 'the bot token is never shown');
  await page.click('[data-testid="slack-test"]');
  await page.locator('[data-testid="slack-test-result"]').waitFor();
  assert.equal(posts[0].channel, 'C0SUPPORT');
  await page.screenshot({ path: join(SHOTS, 'slack-settings.png'), fullPage: true });

  // A teammate types /ticket in #it-help.
  const form = new URLSearchParams({
    token: 'deprecated', team_id: TEAM, team_domain: 'acme', channel_id: 'C0ITHELP', channel_name: 'it-help',
    user_id: 'U0ANA', user_name: 'ana', command: '/ticket', text: 'Laptop will not charge | since this morning, tried two chargers',
    api_app_id: 'A0APP', response_url: 'https://hooks.slack.com/commands/x', trigger_id: '123.456.e2e',
  }).toString();
  const unsigned = await fetch(commandUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form });
  assert.equal(unsigned.status, 403);
  const said = await postToUs(commandUrl, form, 'application/x-www-form-urlencoded');
  assert.equal(said.response_type, 'ephemeral');
  assert.match(said.text, /Ticket TKT-\d+ opened: Laptop will not charge/);
  await waitFor(() => posts.some((p) => p.channel === 'C0ITHELP' && !p.thread_ts), 'the ticket posted in #it-help');
  const root = posts.find((p) => p.channel === 'C0ITHELP' && !p.thread_ts);
  assert.match(root.text, /opened by <@U0ANA>: \*Laptop will not charge\*/);

  // The agent answers in the inbox; Slack gets it in the ticket's thread.
  await open(page, server.base, '/app/inbox');
  await page.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  await openRow(page, 'Laptop will not charge');
  await page.locator('[data-testid="message"]', { hasText: 'tried two chargers' }).waitFor();
  await page.fill('[data-testid="composer-body"]', 'Hi Ana, bring it to the IT desk at 2pm and we will swap the battery.');
  await page.click('[data-testid="send"]');
  await waitFor(() => posts.some((p) => p.thread_ts === root.ts && p.text.includes('swap the battery')), 'the reply in the thread');
  const mine = page.locator('[data-testid="message"]', { hasText: 'swap the battery' }).last();
  await mine.locator('[data-testid="delivery"]', { hasText: 'sent' }).waitFor({ timeout: 20000 });

  // The requester answers in the thread: it comes back to the agent.
  const ev = JSON.stringify({
    token: 'deprecated', team_id: TEAM, api_app_id: 'A0APP', type: 'event_callback', event_id: 'Ev0E2E1', event_time: 1700000001,
    event: { type: 'message', channel: 'C0ITHELP', user: 'U0ANA', text: 'Great, see you at 2pm!', ts: '1700000500.000001', thread_ts: root.ts },
  });
  const stored = await postToUs(eventsUrl, ev, 'application/json');
  assert.equal(stored.status, 'stored');
  await page.locator('[data-testid="message"]', { hasText: 'see you at 2pm' }).waitFor({ timeout: 20000 });
  await page.screenshot({ path: join(SHOTS, 'slack-ticket.png') });
});
