// The knowledge base and the AI agent in the browser, on the seeded demo workspace
// (the built-in engine, no API key): a customer's question answered in the chat
// widget with the article link; a refund request handed to a person and shown
// escalated (`refund`) in the inbox; Draft reply and Summarize in the composer;
// article suggestions while typing (widget and web form); the public help center
// (search, article, feedback); the article editor with revisions; the AI overview
// with its charts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launch, open, signInDemo, startServer, widgetOn } from './support.mjs';

let server;
let browser;
let agent;

before(async () => {
  server = await startServer({ seed: true });
  browser = await launch();
  agent = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signInDemo(agent, server.base, 'demo@switchboard.test');
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function openConversation(text) {
  await open(agent, server.base, '/app/inbox');
  await agent.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  const row = agent.locator('[data-testid="conversation-row"]', { hasText: text });
  await row.waitFor({ timeout: 15000 });
  await row.locator('a').click();
  await agent.locator('[data-testid="conversation-pane"]').waitFor();
}

test('the widget answers from the knowledge base, with the article link', async () => {
  const { page, widget } = await widgetOn(browser, server.base.replace('127.0.0.1', 'localhost') + '/demo/store');
  // Suggestions while typing (deflection).
  await widget.locator('[data-testid="widget-input"]').pressSequentially('How can I track my order?', { delay: 15 });
  await widget.locator('[data-testid="widget-suggestions"]').waitFor({ timeout: 10000 });
  assert.match(await widget.locator('[data-testid="widget-suggestion"]').first().innerText(), /Track your order/i);
  await widget.locator('[data-testid="widget-send"]').click();
  const answer = widget.locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'Read more' });
  await answer.waitFor({ timeout: 15000 });
  const link = answer.locator('a[href*="/articles/track-your-order"]');
  assert.equal(await link.count(), 1, 'the answer links the article');
  assert.match(await answer.innerText(), /AI agent/);
  await page.screenshot({ path: join(SHOTS, 'ai-widget-answer.png') });

  // The agent sees every step of the run in the conversation pane.
  await openConversation('track my order');
  await agent.locator('[data-testid="ai-panel"]').waitFor({ timeout: 15000 });
  await agent.locator('[data-testid="ai-run"][data-decision="answer"] summary').click();
  for (const tool of ['ticket', 'customer_history', 'guardrails', 'knowledge_search', 'decide', 'pii_check', 'respond']) {
    assert.equal(await agent.locator(`[data-testid="ai-steps"] li[data-tool="${tool}"]`).count(), 1, `step ${tool}`);
  }
  await agent.screenshot({ path: join(SHOTS, 'ai-steps.png') });
});

test('a refund request goes to a person and shows as escalated (refund)', async () => {
  const { page, widget } = await widgetOn(browser, server.base + '/demo/store');
  await widget.locator('[data-testid="widget-input"]').fill('My boots fell apart after a week. I want a refund please.');
  await widget.locator('[data-testid="widget-send"]').click();
  await widget.locator('[data-testid="widget-message"][data-from="agent"]', { hasText: 'a person will follow up' }).waitFor({ timeout: 15000 });
  await page.screenshot({ path: join(SHOTS, 'ai-widget-handoff.png') });

  await openConversation('boots fell apart');
  const reason = agent.locator('[data-testid="ai-reason"]');
  await reason.waitFor({ timeout: 15000 });
  assert.equal(await reason.getAttribute('data-reason'), 'refund');
  assert.match(await agent.locator('[data-testid="ai-state"]').innerText(), /escalated/);
  await agent.screenshot({ path: join(SHOTS, 'ai-escalated-refund.png') });

  // Agent assist: Draft reply fills the composer; Summarize lists the key points.
  await agent.selectOption('[data-testid="assist-tone"]', 'formal');
  await agent.click('[data-testid="assist-draft"]');
  await agent.locator('[data-testid="assist-note"]').waitFor({ timeout: 10000 });
  const draft = await agent.inputValue('[data-testid="composer-body"]');
  assert.match(draft, /^Dear /);
  assert.match(await agent.locator('[data-testid="assist-note"]').innerText(), /Extractive/);
  await agent.click('[data-testid="assist-summarize"]');
  await agent.locator('[data-testid="assist-summary"]').waitFor({ timeout: 10000 });
  assert.match(await agent.locator('[data-testid="summary-key-points"]').innerText(), /boots|refund/);
  await agent.screenshot({ path: join(SHOTS, 'ai-assist.png') });
});

test('the web form suggests articles while the customer writes', async () => {
  const page = await (await browser.newContext()).newPage();
  await open(page, server.base, '/support/acme-outdoor-support');
  await page.fill('#sf-subject', 'Password reset');
  await page.fill('#sf-message', 'I forgot my password and cannot sign in');
  await page.locator('[data-testid="form-suggestions"]').waitFor({ timeout: 10000 });
  assert.match(await page.locator('[data-testid="form-suggestion"]').first().innerText(), /password/i);
  await page.screenshot({ path: join(SHOTS, 'support-form-suggestions.png') });
});

test('help center: home, search, article with feedback', async () => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'de-DE' })).newPage();
  await page.goto(server.base + '/help/acme-outdoor');
  assert.match(page.url(), /\/help\/acme-outdoor\/de$/, 'German reader gets the German help center');
  await page.goto(server.base + '/help/acme-outdoor/en');
  await page.screenshot({ path: join(SHOTS, 'help-center-home.png'), fullPage: true });
  await page.fill('input[type="search"]', 'waterproof boots');
  await page.press('input[type="search"]', 'Enter');
  await page.waitForURL(/\/search\?q=/);
  await page.locator('a', { hasText: /waterproof/i }).first().click();
  await page.waitForURL(/\/articles\//);
  assert.equal(await page.locator('link[rel="canonical"]').count(), 1);
  assert.equal(await page.locator('script[type="application/ld+json"]').count() >= 1, true);
  await page.screenshot({ path: join(SHOTS, 'help-center-article.png'), fullPage: true });
  await page.locator('button[value="yes"]').click();
  await page.waitForURL(/feedback=yes/);
  assert.match(await page.content(), /Thanks for your feedback/);
});

test('article editor: edit, publish, compare revisions; AI overview charts', async () => {
  await open(agent, server.base, '/app/kb');
  await agent.locator('[data-testid="kb-articles"] a', { hasText: 'Gift cards' }).click();
  await agent.locator('[data-testid="kb-body"]').waitFor();
  await agent.locator('[data-testid="kb-body"]').click();
  await agent.keyboard.press('End');
  await agent.keyboard.type(' Gift cards can be used online and in our stores.');
  await agent.click('[data-testid="kb-publish"]');
  await agent.locator('[data-testid="kb-saved"]', { hasText: 'revision 2' }).waitFor({ timeout: 10000 });
  await agent.locator('[data-testid="kb-compare"]').first().click();
  await agent.locator('[data-testid="kb-diff"] .diff-added').first().waitFor();
  await agent.screenshot({ path: join(SHOTS, 'kb-editor.png'), fullPage: true });

  await open(agent, server.base, '/app/ai');
  await agent.locator('[data-testid="ai-stats"]').waitFor();
  assert.notEqual(await agent.locator('[data-testid="ai-handoffs"]').innerText(), '0');
  await agent.locator('[data-testid="ai-chart-daily"] canvas').waitFor({ timeout: 15000 });
  await agent.locator('[data-testid="ai-chart-reasons"] canvas').waitFor({ timeout: 15000 });
  await agent.screenshot({ path: join(SHOTS, 'ai-overview.png'), fullPage: true });
});
