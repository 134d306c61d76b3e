// Every page, loaded several times, must hydrate cleanly: no console error, no
// hydration message, no panic. Admin pages are visited as an owner, an agent and a
// light agent (pages a role may not use must still say so cleanly); public pages
// anonymously. Hydration bugs are timing-dependent (a resource read outside
// <Suspense> fails only when the stream arrives in a certain order), so each page
// is loaded E2E_ROUTE_LOADS times (3 unless set). Every later page joins ROUTES.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { hydrated, launch, signInDemo, startServer, watchProblems } from './support.mjs';

const LOADS = Number(process.env.E2E_ROUTE_LOADS || 3);

/// The admin app's routes (keep in step with `app::App`). `:article` is filled in
/// from the knowledge base page.
const ADMIN_ROUTES = [
  '/app',
  '/app/inbox',
  '/app/settings/inbox',
  '/app/team',
  '/app/settings',
  '/app/settings/api-keys',
  '/app/settings/channels',
  '/app/settings/sms',
  '/app/settings/voice',
  '/app/settings/transcription',
  '/app/settings/slack',
  '/app/settings/webhooks',
  '/app/settings/store',
  '/app/orders',
  '/app/orders?status=delivered&o=1001',
  '/app/catalog',
  '/app/catalog?p=1',
  '/app/catalog?p=new',
  '/app/kb',
  '/app/kb/articles/:article',
  '/app/ai',
  '/app/reports',
  '/app/dashboards',
  '/app/dashboards/1',
  '/app/live',
  '/app/digest',
  '/app/reports/exports',
  '/app/reports/predictions',
  '/app/quality',
  '/app/quality?flagged=1',
  '/app/quality/review?c=1',
  '/app/reports?metric=first_response&group=channel&chart=table&days=90',
  '/app/reports?metric=tickets&group=priority&split=channel&chart=stacked&drill=high',
  '/app/profile',
  '/app/activity',
  '/app/outbox',
  '/app/jobs',
  '/app/approvals',
  '/app/approvals/loop',
  '/app/tasks',
  '/app/settings/ai-policies',
  '/app/settings/procedures',
  '/app/settings/rules',
  '/app/settings/sla',
  '/app/settings/routing',
  '/app/flows',
  '/app/flows/1',
  '/app/segments',
  '/app/settings/sending',
  '/app/messages',
  '/app/tours',
  '/app/settings/notifications',
  '/app/profile/notifications',
  '/app/inbox?c=1',
  '/app/no-such-page',
];

/// Public pages that hydrate (Leptos routes) and public pages served as plain HTML
/// (help center: server-rendered, no wasm; the demo store: the widget's iframe).
const PUBLIC_HYDRATED = [
  '/sign-in',
  '/sign-in?next=/app/inbox',
  '/sign-up',
  '/forgot-password',
  '/reset-password?token=not-a-token',
  '/verify-email?token=not-a-token',
  '/invitations/accept?token=not-a-token',
  '/portal/conversation?token=not-a-token',
  '/support/acme-outdoor-support',
  '/support/acme-outdoor-support/status',
];

/// What a page answers when that is the point (a bad link, no access).
const DOCUMENT_STATUS = {
  '/app/no-such-page': [404],
  '/portal/conversation?token=not-a-token': [404],
  '/c/not-a-token/u': [404],
  // The status is set when the invitation lookup fails; with a streamed page the
  // head may already be sent (200); the page says the link is invalid either way.
  '/invitations/accept?token=not-a-token': [200, 422],
};

/// Requests a page makes by design that fail (the browser logs them as errors):
/// the verification link is checked by a POST from the page (never on GET, so
/// link scanners cannot use it up), and a bogus one answers 422.
const EXPECTED_FAILURES = {
  '/verify-email?token=not-a-token': /status of 422 .*\/api\/verify_email/,
};
const PUBLIC_STATIC = [
  '/help/acme-outdoor/en',
  '/help/acme-outdoor/en/search?q=order',
  '/demo/store',
  // The storefront's own pages (plain HTML; the widget is their only script).
  '/store/acme-outdoor/privacy',
  '/store/acme-outdoor/account',
  // The customer portal's sign-in page (plain HTML).
  '/help/acme-outdoor/portal',
  // A campaign email's unsubscribe page (plain HTML), here for a bad link.
  '/c/not-a-token/u',
];

const MEMBERS = [
  ['owner', 'demo@switchboard.test'],
  ['agent', 'sam.agent@switchboard.test'],
  ['light agent', 'jo.light@switchboard.test'],
];

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

/// Loads `path` LOADS times in `page`; returns every problem seen, labelled.
async function loadRepeatedly(page, path, { waitHydrated = true } = {}) {
  const found = [];
  for (let i = 1; i <= LOADS; i++) {
    const watch = watchProblems(page, { allowDocumentStatus: true });
    try {
      const res = await page.goto(server.base + path);
      const status = res ? res.status() : 0;
      const expected = DOCUMENT_STATUS[path] || [200, 403];
      if (!expected.includes(status)) found.push(`HTTP ${status}, expected ${expected.join(' or ')}`);
      if (waitHydrated) {
        await hydrated(page, 20000);
      } else {
        await page.waitForLoadState('load');
      }
      // Resources that resolve after hydration, effects, the live socket.
      await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
    } catch (e) {
      found.push(`did not hydrate: ${e.message.split('\n')[0]}`);
    }
    for (const p of watch.stop()) {
      if (EXPECTED_FAILURES[path]?.test(p)) continue;
      found.push(`load ${i}: ${p}`);
    }
  }
  return found.map((p) => `${path}: ${p}`);
}

async function articlePath(page) {
  await page.goto(`${server.base}/app/kb`);
  await hydrated(page);
  const href = await page.locator('a[href^="/app/kb/articles/"]').first().getAttribute('href');
  assert.ok(href, 'the demo knowledge base lists an article');
  return href;
}

for (const [role, email] of MEMBERS) {
  test(`every admin page hydrates cleanly as ${role}, ${LOADS} loads each`, async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await signInDemo(page, server.base, email);
    const article = await articlePath(page).catch(() => '/app/kb/articles/1');
    const problems = [];
    for (const route of ADMIN_ROUTES) {
      problems.push(...(await loadRepeatedly(page, route.replace('/app/kb/articles/:article', article))));
    }
    await ctx.close();
    assert.deepEqual(problems, [], `problems as ${role}:\n${problems.join('\n')}`);
  });
}

test(`every public page loads cleanly, ${LOADS} loads each`, async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const problems = [];
  for (const route of PUBLIC_HYDRATED) problems.push(...(await loadRepeatedly(page, route)));
  for (const route of PUBLIC_STATIC) {
    problems.push(...(await loadRepeatedly(page, route, { waitHydrated: false })));
  }
  await ctx.close();
  assert.deepEqual(problems, [], `problems:\n${problems.join('\n')}`);
});

test('a signed-out visit to an admin page signs in and returns there', async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const res = await page.goto(`${server.base}/app/settings/inbox`);
  assert.equal(new URL(page.url()).pathname, '/sign-in');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/app/settings/inbox');
  assert.equal(res.status(), 200);
  await hydrated(page);
  await page.fill('input[name="email"]', 'demo@switchboard.test');
  await page.fill('input[name="password"]', 'switchboard-demo');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${server.base}/app/settings/inbox`);
  await hydrated(page);
  await page.getByRole('heading', { name: 'Inbox settings' }).waitFor();
  await ctx.close();
});
