// Starts a freshly built switchboard server on a free port with its own SQLite
// database, and launches Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const SHOTS = process.env.E2E_SCREENSHOTS || join(process.cwd(), 'test-results');

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startServer({ seed = false } = {}) {
  const bin = process.env.E2E_SERVER_BIN;
  const siteRoot = process.env.E2E_SITE_ROOT;
  if (!bin || !siteRoot) throw new Error('set E2E_SERVER_BIN and E2E_SITE_ROOT (make test does)');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-e2e-'));
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, seed ? ['serve', '--seed-demo-if-empty'] : ['serve'], {
    env: {
      ...process.env,
      SWITCHBOARD_BIND: `127.0.0.1:${port}`,
      SWITCHBOARD_PUBLIC_URL: base,
      SWITCHBOARD_DATABASE_URL: `sqlite://${dir}/e2e.db?mode=rwc`,
      SWITCHBOARD_SITE_ROOT: siteRoot,
      RUST_LOG: process.env.RUST_LOG || 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) return { base, stop: () => child.kill('SIGTERM') };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error('server did not become ready');
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/// Collects what a page reports as wrong: uncaught exceptions (a Rust panic
/// surfaces as one), console errors (console_error_panic_hook, failed loads) and
/// any console message about hydration. `stop()` detaches and returns them.
///
/// A page that answers 403 or 404 on purpose (a role without access, an unknown
/// page) makes the browser log "Failed to load resource" for the document itself;
/// with `allowDocumentStatus` that one line is not a problem (the status is
/// checked by the caller).
export function watchProblems(page, { allowDocumentStatus = false } = {}) {
  const problems = [];
  const onError = (e) => problems.push(`pageerror: ${e.message}`);
  const onConsole = (m) => {
    const text = m.text();
    if (allowDocumentStatus && /^Failed to load resource/.test(text)
      && m.location().url === page.url()) {
      return;
    }
    if (m.type() === 'error' || /hydrat/i.test(text) || /panicked/i.test(text)) {
      const where = /^Failed to load resource/.test(text) ? ` (${m.location().url})` : '';
      problems.push(`console.${m.type()}: ${text}${where}`);
    }
  };
  page.on('pageerror', onError);
  page.on('console', onConsole);
  return {
    problems,
    stop() {
      page.off('pageerror', onError);
      page.off('console', onConsole);
      return problems;
    },
  };
}

/// Waits until the page now shown is hydrated (interactive). `frontend` sets
/// `body[data-hydrated]` once hydration, lazy areas included, is done.
export async function hydrated(page, timeout = 30000) {
  await page.waitForSelector('body[data-hydrated="true"]', { timeout });
}

/// Opens `path` and waits until the page is hydrated; fails on any console error,
/// hydration message or panic while it loads, except those matching `allow` (a
/// request the page makes that fails on purpose in the test).
export async function open(page, base, path, { allow } = {}) {
  // The document's own 4xx (an invalid link, a forbidden page) is the server's
  // answer, checked by what the test reads on the page; everything else counts.
  const watch = watchProblems(page, { allowDocumentStatus: true });
  try {
    await page.goto(base + path);
    await hydrated(page);
  } catch (e) {
    throw new Error(`${path} did not hydrate: ${e.message}\n${watch.problems.join('\n')}`);
  } finally {
    watch.stop();
  }
  const problems = watch.problems.filter((p) => !(allow && allow.test(p)));
  if (problems.length) {
    throw new Error(`${path} reported problems while loading:\n${problems.join('\n')}`);
  }
}

/// After a click that loads a new document (a form that signs in, a hard
/// navigation): waits for `url` and for that document to hydrate.
export async function arrived(page, url) {
  await page.waitForURL(url);
  await hydrated(page);
}

/// Reloads and waits until hydrated again.
export async function reload(page) {
  await page.reload();
  await hydrated(page);
}

/// Opens the conversation whose row in the list shows `text` (the current view
/// of /app/inbox). The list refreshes live and may move under the pointer, so
/// the click is checked: the row that was clicked must become the open one.
export async function openRow(page, text) {
  const row = page.locator('[data-testid="conversation-row"]', { hasText: text }).first();
  await row.waitFor({ timeout: 15000 });
  for (let attempt = 0; ; attempt += 1) {
    const number = await row.getAttribute('data-number');
    await row.locator('a').click();
    const opened = page.locator(`[data-testid="conversation-row"][data-number="${number}"].open`);
    try {
      await opened.waitFor({ timeout: 5000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw new Error(`conversation ${number} ("${text}") did not open: ${e.message}`);
    }
  }
  await page.locator('[data-testid="conversation-pane"]').waitFor();
}

/// Signs in as a seeded demo member (password `switchboard-demo`).
export async function signInDemo(page, base, email) {
  await open(page, base, '/sign-in');
  await page.fill('input[name="email"]', email);
  await page.fill('input[name="password"]', 'switchboard-demo');
  await page.click('button[type="submit"]');
  await arrived(page, `${base}/app`);
}

/// Opens `storeUrl` (a page embedding the chat widget) in a new context and opens
/// the widget; returns the page and the widget's frame.
export async function widgetOn(browser, storeUrl) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await ctx.newPage();
  await page.goto(storeUrl);
  const widget = page.frameLocator('iframe[data-switchboard-widget]');
  await widget.locator('[data-testid="widget-launcher"]').click();
  await widget.locator('[data-testid="widget-panel"]').waitFor();
  return { page, widget };
}

/// The flow canvas on `page`: a step, an exit of a step, a connection, and a
/// drag from the middle of one element to the left part of another (clear of
/// its exits).
export function canvas(page) {
  const node = (id) => page.locator(`[data-testid="flow-node"][data-node="${id}"]`);
  const port = (id, p) => node(id).locator(`[data-testid="flow-port"][data-port="${p}"]`);
  const edge = (source, p) => page.locator(`[data-testid="flow-edge"][data-source="${source}"][data-port="${p}"]`);
  async function drag(from, to) {
    const a = await from.boundingBox();
    const b = await to.boundingBox();
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + 30, b.y + 14, { steps: 8 });
    await page.mouse.up();
  }
  return { node, port, edge, drag };
}
