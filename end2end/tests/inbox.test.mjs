// The inbox as two agents use it, on the seeded demo workspace: presence and typing
// across browsers, the collision warning, notes, canned responses with variables,
// a macro, bulk assignment, merge and undo, split, search and shortcuts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, launch, open, signInDemo, startServer } from './support.mjs';

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

async function openInbox(page, query = '') {
  await open(page, server.base, `/app/inbox${query}`);
  await page.locator('[data-testid="views"]').waitFor();
}

function row(page, subject) {
  return page.locator('[data-testid="conversation-row"]', { hasText: subject });
}

test('two agents: presence, typing, collision, notes, canned, macro', async () => {
  const a = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  const b = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signInDemo(a, server.base, 'demo@switchboard.test');
  await signInDemo(b, server.base, 'sam.agent@switchboard.test');

  await openInbox(a);
  await a.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  await row(a, 'Where is my order?').waitFor();
  await a.screenshot({ path: join(SHOTS, 'inbox.png') });
  await row(a, 'Where is my order?').locator('a').click();
  await a.locator('[data-testid="conversation-subject"]', { hasText: 'Where is my order?' }).waitFor();
  const number = await a.locator('[data-testid="conversation-pane"]').getAttribute('data-number');

  // B opens the same conversation and sees A viewing; A types and B sees it.
  await openInbox(b, `?c=${number}`);
  await b.locator('[data-testid="presence"]', { hasText: 'Dana Demo is viewing' }).waitFor({ timeout: 15000 });
  await a.fill('[data-testid="composer-body"]', 'Let me check with the carrier');
  await b.locator('[data-testid="presence"]', { hasText: 'Dana Demo is typing' }).waitFor({ timeout: 15000 });

  // B replies first; A gets the warning on submit and can send anyway.
  await b.fill('[data-testid="composer-body"]', 'Tracking shows it arrives tomorrow.');
  await b.click('[data-testid="send"]');
  await b.locator('[data-testid="message"]', { hasText: 'arrives tomorrow' }).waitFor();
  await a.click('[data-testid="send"]');
  await a.locator('[data-testid="collision-warning"]', { hasText: 'Sam Okafor replied while you were writing' }).waitFor();
  await a.screenshot({ path: join(SHOTS, 'inbox-collision.png') });
  await a.click('[data-testid="send-anyway"]');
  await a.locator('[data-testid="message"]', { hasText: 'Let me check with the carrier' }).waitFor();

  // An internal note: marked as such, in the note style, never a reply.
  await a.click('[data-testid="mode-note"]');
  await a.fill('[data-testid="composer-body"]', 'Internal: carrier ticket 4471');
  await a.click('[data-testid="send"]');
  const note = a.locator('[data-testid="message"][data-kind="note"]', { hasText: 'carrier ticket 4471' });
  await note.waitFor();
  await note.getByText('Internal note').waitFor();

  // The customer-facing page shows the replies and never the note.
  const href = await a.locator('[data-testid="customer-view-link"]').getAttribute('href');
  const customer = await (await browser.newContext()).newPage();
  await open(customer, server.base, href);
  await customer.locator('[data-testid="customer-message"]', { hasText: 'arrives tomorrow' }).waitFor();
  await customer.locator('[data-testid="customer-message"]', { hasText: 'Let me check with the carrier' }).waitFor();
  assert.equal(await customer.getByText('carrier ticket 4471').count(), 0, 'a note reached the customer');
  await customer.screenshot({ path: join(SHOTS, 'customer-view.png') });

  // A canned response with variables, filled for this customer and ticket.
  await a.click('[data-testid="mode-reply"]');
  await a.click('[data-testid="canned-open"]');
  await a.locator('[data-testid="canned-picker"]').getByText('Greeting').click();
  const ref = await a.locator('[data-testid="ticket-ref"]').innerText();
  await assert.doesNotReject(async () => {
    await a.waitForFunction(
      (r) => document.querySelector('[data-testid="composer-body"]').value.includes(`Hi Ben,`) &&
        document.querySelector('[data-testid="composer-body"]').value.includes(r),
      ref,
    );
  });

  // A macro: preview, then apply — reply sent and status solved.
  await a.selectOption('[data-testid="macro-select"]', { label: 'Close as solved' });
  await a.locator('[data-testid="macro-preview"]', { hasText: 'Set status to Solved' }).waitFor();
  await a.locator('[data-testid="macro-preview"]', { hasText: 'Glad we could help, Ben!' }).waitFor();
  await a.click('[data-testid="macro-apply"]');
  await a.locator('[data-testid="message"]', { hasText: 'Glad we could help, Ben!' }).waitFor();
  await assert.doesNotReject(() => a.waitForFunction(() => document.querySelector('[data-testid="status-select"]').value === 'solved'));
  await a.screenshot({ path: join(SHOTS, 'conversation.png') });

  // Shortcuts help.
  await a.locator('body').click({ position: { x: 5, y: 5 } });
  await a.keyboard.press('?');
  await a.locator('[data-testid="shortcuts"]').waitFor();
  await a.keyboard.press('Escape');
});

test('bulk assign, merge and undo, split, search', async () => {
  const a = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signInDemo(a, server.base, 'demo@switchboard.test');
  await openInbox(a);
  await a.locator('[data-testid="view-link"]', { hasText: 'Unassigned' }).click();
  await row(a, 'Sleeping bag sizing').waitFor();

  // Bulk-assign two conversations to Sam.
  await row(a, 'Sleeping bag sizing').locator('input[type="checkbox"]').check();
  await row(a, 'Discount for our hiking club').locator('input[type="checkbox"]').check();
  await a.locator('[data-testid="bulk-bar"]').waitFor();
  await a.selectOption('select[aria-label="Assign selected to"]', { label: 'Sam Okafor' });
  await a.locator('[data-testid="notice"]', { hasText: 'Updated 2 conversation(s).' }).waitFor();
  await a.locator('[data-testid="view-link"]', { hasText: 'All open' }).click();
  await row(a, 'Sleeping bag sizing').locator('[data-testid="row-assignee"]', { hasText: 'Sam Okafor' }).waitFor();

  // Merge two of Ana's conversations, then undo.
  await row(a, 'Thank you!').locator('input[type="checkbox"]').check();
  await row(a, 'Tent pole snapped').locator('input[type="checkbox"]').check();
  await a.click('[data-testid="merge-selected"]');
  await a.locator('[data-testid="notice"]', { hasText: 'Conversations merged.' }).waitFor();
  await row(a, 'Tent pole snapped').waitFor({ state: 'detached' });
  await a.locator('[data-testid="notice"]').getByRole('button', { name: 'Undo' }).click();
  await a.locator('[data-testid="notice"]', { hasText: 'Merge undone.' }).waitFor();
  await row(a, 'Tent pole snapped').waitFor();

  // Split the agent's reply out of "Stove does not ignite".
  await row(a, 'Stove does not ignite').locator('a').click();
  await a.locator('[data-testid="conversation-subject"]', { hasText: 'Stove does not ignite' }).waitFor();
  await a.click('[data-testid="split-mode"]');
  await a.locator('[data-testid="message"]', { hasText: 'short video' }).locator('.split-check').check();
  await a.click('[data-testid="split-confirm"]');
  await a.locator('[data-testid="split-from"]').waitFor();
  await a.locator('[data-testid="message"]', { hasText: 'short video' }).waitFor();

  // Search finds a message by a word in its body, highlighted.
  await a.fill('input[aria-label="Search"]', 'piezo');
  await a.keyboard.press('Enter');
  const hit = a.locator('[data-testid="search-results"] .hit', { hasText: 'Stove does not ignite' });
  await hit.waitFor();
  assert.equal(await hit.locator('mark').first().innerText(), 'piezo');
  await a.screenshot({ path: join(SHOTS, 'inbox-search.png') });
});
