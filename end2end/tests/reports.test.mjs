// The report builder in the browser, on the seeded demo workspace (ninety days
// of past tickets): build a report from the controls, change the chart type,
// click a bar and land on the conversations behind it, read a table cell's
// drill-down, save the report and open it again from the saved list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, hydrated, launch, open, signInDemo, startServer, watchProblems, widgetOn } from './support.mjs';

let server;
let browser;
let page;

before(async () => {
  server = await startServer({ seed: true });
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  await signInDemo(page, server.base, 'maria.admin@switchboard.test');
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/// Picks `value` in the builder's `<select name=…>` and waits for the new report.
async function pick(name, value, url = new RegExp(`${name}=${value}`)) {
  await page.locator(`select[name="${name}"]`).selectOption(value);
  await page.waitForURL(url);
  await page.locator('[data-testid="report-result"]').waitFor();
}

/// Waits until every chart on `p` is drawn with its option, animations done.
async function settled(p) {
  await p.waitForFunction(() => [...document.querySelectorAll('[data-echarts]')]
    .every((el) => el.dataset.echarts === '' || el.dataset.settled === el.dataset.echarts), null, { timeout: 15000 });
}

/// The number a drill-down says it lists.
async function drillTotal() {
  const d = page.locator('[data-testid="drill-down"]');
  await d.waitFor({ timeout: 15000 });
  const text = await d.locator('p.muted').innerText();
  const m = text.match(/(\d[\d,]*) conversations?/);
  assert.ok(m, text);
  return { total: Number(m[1].replace(/,/g, '')), rows: await d.locator('tbody tr').count() };
}

test('build a report, change its chart, click a bar and see the conversations behind it', async () => {
  const watch = watchProblems(page);
  await open(page, server.base, '/app/reports');
  await page.locator('[data-testid="report-chart"] canvas').waitFor({ timeout: 15000 });

  // Tickets by channel over 90 days, as bars.
  await pick('group', 'channel');
  await pick('days', '90');
  const chart = page.locator('[data-testid="report-chart"]');
  await chart.locator('canvas').waitFor();
  await page.waitForFunction(() => {
    const el = document.querySelector('[data-testid="report-chart"]');
    return el && window.echarts && window.echarts.getInstanceByDom(el) && el.dataset.settled === el.dataset.echarts;
  });
  await page.screenshot({ path: join(SHOTS, 'reports-bar.png') });

  // Click the first bar (the busiest channel) where ECharts drew it.
  const target = await page.evaluate(() => {
    const el = document.querySelector('[data-testid="report-chart"]');
    const c = window.echarts.getInstanceByDom(el);
    const opt = c.getOption();
    const value = opt.series[0].data[0];
    const [x, y] = c.convertToPixel({ seriesIndex: 0 }, [0, value]);
    const [, base] = c.convertToPixel({ seriesIndex: 0 }, [0, 0]);
    const box = el.getBoundingClientRect();
    return { x: box.left + x, y: box.top + (y + base) / 2, value, label: opt.xAxis[0].data[0], key: JSON.parse(el.dataset.drillKeys)[0] };
  });
  await page.mouse.click(target.x, target.y);
  await page.waitForURL(new RegExp(`drill=${target.key}`));
  const bar = await drillTotal();
  assert.equal(bar.total, target.value, `the ${target.label} bar counts ${target.value}, its drill-down lists ${bar.total}`);
  assert.equal(bar.rows, Math.min(bar.total, 200));
  assert.match(await page.locator('[data-testid="drill-down"] h2').innerText(), new RegExp(target.label));
  await page.screenshot({ path: join(SHOTS, 'reports-drill.png'), fullPage: true });

  // A conversation of the list opens in the inbox.
  const first = page.locator('[data-testid="drill-down"] tbody tr').first();
  const number = await first.getAttribute('data-number');
  assert.ok(number);

  // The same report as a table of first response times split by priority:
  // each cell drills into the conversations it averages.
  await pick('chart', 'table');
  await pick('metric', 'first_response');
  await pick('split', 'priority');
  const table = page.locator('[data-testid="report-table"]');
  await table.waitFor();
  const cell = table.locator('tbody td a').first();
  const title = await cell.getAttribute('title');
  const counted = Number(title.match(/^(\d+)/)[1]);
  await cell.click();
  await page.waitForURL(/series=/);
  await hydrated(page);
  const drilled = await drillTotal();
  assert.equal(drilled.total, counted, `the cell averages ${counted} conversations, the drill-down lists ${drilled.total}`);
  for (const v of await page.locator('[data-testid="drill-down"] tbody tr td:last-child').allInnerTexts()) {
    assert.match(v, /^\d+[smhd]/, `a first response time, not ${v}`);
  }
  await page.screenshot({ path: join(SHOTS, 'reports-table.png'), fullPage: true });

  // Pie and number card.
  await pick('split', 'none', (u) => !u.search.includes('split='));
  await pick('chart', 'pie');
  await page.locator('[data-testid="report-chart"] canvas').waitFor();
  await pick('chart', 'number');
  assert.match(await page.locator('[data-testid="report-number"] .big').innerText(), /\d/);

  // Save it; it is listed and opens again with its definition.
  await page.fill('input[aria-label="Report name"]', 'First response by channel');
  await page.locator('.save-report button[type="submit"]').click();
  await page.waitForURL(/report=\d+/);
  const saved = page.locator('.saved-list a', { hasText: 'First response by channel' });
  await saved.waitFor();
  await open(page, server.base, '/app/reports');
  await page.locator('.saved-list a', { hasText: 'First response by channel' }).click();
  await page.waitForURL(/metric=first_response.*chart=number/);
  await page.locator('[data-testid="report-number"]').waitFor();
  assert.equal(await page.locator('select[name="metric"]').inputValue(), 'first_response');
  await page.screenshot({ path: join(SHOTS, 'reports-saved.png'), fullPage: true });

  assert.deepEqual(watch.stop(), [], 'no console errors, hydration warnings or panics');
});

test('arrange a dashboard by dragging, then open its shared link signed out', async () => {
  const watch = watchProblems(page);
  await open(page, server.base, '/app/dashboards');
  await page.locator('.template[data-template="volume"] button').click();
  await page.waitForURL(/\/app\/dashboards\/\d+$/);
  await hydrated(page);
  const widgets = page.locator('[data-testid="widget"]');
  await widgets.first().waitFor();
  assert.equal(await widgets.count(), 4);

  // Arrange: the first card (12 wide) loses four columns by its corner; the
  // second (x 0) moves eight columns right by its title.
  await page.locator('[data-testid="arrange"]').click();
  const grid = await page.locator('[data-testid="board-grid"]').boundingBox();
  const cell = grid.width / 12;
  const handle = await widgets.nth(0).locator('[data-testid="widget-resize"]').boundingBox();
  await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle.x + handle.width / 2 - cell * 4, handle.y + handle.height / 2, { steps: 8 });
  await page.mouse.up();
  assert.equal(await widgets.nth(0).getAttribute('data-w'), '8');
  const title = await widgets.nth(1).locator('.widget-title').boundingBox();
  await page.mouse.move(title.x + 10, title.y + 5);
  await page.mouse.down();
  await page.mouse.move(title.x + 10 + cell * 8, title.y + 5, { steps: 8 });
  await page.mouse.up();
  assert.equal(await widgets.nth(1).getAttribute('data-x'), '8');
  assert.equal(await widgets.nth(3).getAttribute('data-y'), '8', 'the card it landed on moved down');
  await page.screenshot({ path: join(SHOTS, 'dashboard-arrange.png'), fullPage: true });
  await page.locator('[data-testid="save-layout"]').click();
  await page.locator('[data-testid="arrange"]').waitFor();
  await page.reload();
  await hydrated(page);
  await widgets.first().waitFor();
  assert.equal(await widgets.nth(0).getAttribute('data-w'), '8', 'the layout was saved');
  assert.equal(await widgets.nth(1).getAttribute('data-x'), '8');
  await page.locator('[data-testid="widget"] canvas').first().waitFor({ timeout: 15000 });
  await settled(page);
  await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });

  // Share: the link opens for someone signed out, read-only.
  await page.locator('[data-testid="share-on"]').click();
  const link = await page.locator('[data-testid="share-link"]').inputValue();
  assert.match(link, /^\/share\/dashboards\/[\w-]{40,}$/);
  const outsider = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const seen = watchProblems(outsider);
  const res = await outsider.goto(server.base + link);
  assert.equal(res.status(), 200);
  await outsider.locator('[data-testid="shared-widget"] canvas').first().waitFor({ timeout: 15000 });
  assert.equal(await outsider.locator('[data-testid="shared-widget"]').count(), 4);
  assert.equal(await outsider.locator('a[href^="/app"]').count(), 0, 'nothing leads into the app');
  await settled(outsider);
  await outsider.screenshot({ path: join(SHOTS, 'dashboard-shared.png'), fullPage: true });
  assert.deepEqual(seen.stop(), []);

  // Stop sharing: the old link is gone.
  await page.locator('[data-testid="share-off"]').click();
  await page.locator('[data-testid="share-on"]').waitFor();
  assert.equal((await outsider.goto(server.base + link)).status(), 404);

  // Home shows the overview.
  await open(page, server.base, '/app');
  await page.locator('[data-testid="home-overview"] [data-testid="widget"]').first().waitFor();
  assert.equal(await page.locator('[data-testid="home-overview"] [data-testid="widget"]').count(), 6);
  await page.locator('[data-testid="home-overview"] canvas').first().waitFor();
  await settled(page);
  await page.screenshot({ path: join(SHOTS, 'home-overview.png'), fullPage: true });
  assert.deepEqual(watch.stop(), [], 'no console errors, hydration warnings or panics');
});

test('live dashboard: a new chat shows up without a reload', async () => {
  await open(page, server.base, '/app/live');
  const opened = page.locator('[data-testid="live-opened"] .stat-n');
  const before = Number(await opened.innerText());
  await page.locator('[data-testid="live-agents"] li').first().waitFor();
  // The longest wait counts up between reads.
  const clock = page.locator('[data-testid="live-wait-clock"]');
  if (await clock.count()) {
    const first = Number(await clock.getAttribute('data-secs'));
    await page.waitForFunction((t) => Number(document.querySelector('[data-testid="live-wait-clock"]').dataset.secs) > t, first, { timeout: 5000 });
  }
  const watch = watchProblems(page);
  const storeUrl = server.base.replace('127.0.0.1', 'localhost') + '/demo/store';
  const { page: shopper, widget } = await widgetOn(browser, storeUrl);
  await widget.locator('[data-testid="widget-input"]').fill('Is the Summit 40 backpack back in stock?');
  await widget.locator('[data-testid="widget-send"]').click();
  await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live-opened"] .stat-n').innerText) === n + 1, before, { timeout: 15000 });
  await page.screenshot({ path: join(SHOTS, 'live-dashboard.png'), fullPage: true });
  watch.stop();
  assert.deepEqual(watch.problems, []);
  await shopper.context().close();
});

test('daily digest: the day before, with its figures, issues, sentiment and article candidates', async () => {
  await open(page, server.base, '/app/digest');
  const digest = page.locator('[data-testid="digest"]');
  await digest.waitFor();
  assert.ok(Number(await page.locator('[data-testid="digest-opened"] .stat-n').innerText()) > 0);
  assert.ok(await page.locator('[data-testid="digest-channels"] tbody tr').count() > 0);
  await page.locator('[data-testid="digest-sentiment"]').waitFor();
  await page.screenshot({ path: join(SHOTS, 'digest.png'), fullPage: true });
  // The day is in the address and in the list of days.
  const day = await digest.getAttribute('data-day');
  await open(page, server.base, `/app/digest?day=${day}`);
  await page.locator(`.digest-days a[aria-current="page"]`, { hasText: day }).waitFor();
});

test('export a saved report as PDF with progress, download it, and schedule it by email', async () => {
  const watch = watchProblems(page);
  await open(page, server.base, '/app/reports?metric=tickets&group=channel&days=30&chart=bar');
  await page.locator('[data-testid="report-result"]').waitFor();
  await page.fill('input[aria-label="Report name"]', 'Tickets by channel, for export');
  await page.locator('.save-report button[type="submit"]').click();
  await page.waitForURL(/report=\d+/);
  const id = new URL(page.url()).searchParams.get('report');

  await open(page, server.base, `/app/reports/exports?report=${id}`);
  const form = page.locator('[data-testid="export-now"]');
  await form.waitFor();
  assert.equal(await form.locator('select[name="form[report_id]"]').inputValue(), id, 'the report asked for is chosen');
  await form.locator('select[name="form[format]"]').selectOption('pdf');
  await form.locator('input[name="form[include_conversations]"]').check();
  await form.locator('button[type="submit"]').click();
  // The job runs in the server's worker; the row moves to done over the live socket.
  const row = page.locator('[data-testid="export-row"]').first();
  await page.locator('[data-testid="export-row"][data-status="done"][data-format="pdf"]').first().waitFor({ timeout: 20000 });
  assert.equal(await row.locator('[role="progressbar"]').getAttribute('aria-valuenow'), '100');
  const href = await row.locator('a', { hasText: 'Download' }).getAttribute('href');
  const file = await page.request.get(new URL(href, server.base).href);
  assert.equal(file.status(), 200);
  assert.equal(file.headers()['content-type'], 'application/pdf');
  assert.equal((await file.body()).subarray(0, 5).toString(), '%PDF-');

  // Schedule it weekly to oneself.
  const sched = page.locator('[data-testid="schedule-form"]');
  await sched.locator('select[name="form[frequency]"]').selectOption('weekly');
  await sched.locator('input[name="form[recipients]"]').fill('maria.admin@switchboard.test');
  await sched.locator('button[type="submit"]').click();
  const s = page.locator('[data-testid="schedule-row"]', { hasText: 'Tickets by channel, for export' });
  await s.waitFor();
  assert.match(await s.innerText(), /Weekly/);
  await page.screenshot({ path: join(SHOTS, 'report-exports.png'), fullPage: true });
  assert.deepEqual(watch.stop(), [], 'no console errors, hydration warnings or panics');
});

test('quality: AutoQA reviews, a manual review beside it, calibration and coaching', async () => {
  const watch = watchProblems(page);
  await open(page, server.base, '/app/quality');
  const first = page.locator('[data-testid="qa-row"][data-agent="true"]').first();
  await first.waitFor();
  assert.match(await first.locator('[data-testid="auto-total"]').innerText(), /^\d+$/);
  await page.screenshot({ path: join(SHOTS, 'quality.png'), fullPage: true });
  const number = await first.getAttribute('data-number');
  await first.locator('a', { hasText: 'Review' }).click();
  await page.waitForURL(new RegExp(`/app/quality/review\\?c=${number}`));
  await hydrated(page);
  await page.locator('[data-testid="transcript"] li').first().waitFor();
  await page.locator('[data-testid="auto-review"] [data-testid="review-total"]').waitFor();
  const form = page.locator('[data-testid="review-form"]');
  await form.locator('input[name="form[scores][tone]"]').fill('35');
  await form.locator('textarea[name="form[notes]"]').fill('Too curt for an upset customer.');
  await form.locator('button[type="submit"]').click();
  const manual = page.locator('[data-testid="manual-review"]');
  await manual.waitFor();
  assert.equal(await manual.locator('dd[data-key="tone"]').innerText(), '35');
  await manual.locator('input[name="form[note]"]').fill('Open with an apology when the customer is upset.');
  await manual.locator('[data-testid="coach-form"] button').click();
  await page.locator('.alert-success', { hasText: 'Coaching assigned' }).waitFor();
  await page.screenshot({ path: join(SHOTS, 'quality-review.png'), fullPage: true });

  await open(page, server.base, '/app/quality');
  await page.locator('[data-testid="coaching-row"]', { hasText: 'Open with an apology' }).waitFor();
  const tone = page.locator('[data-testid="calibration-row"][data-key="tone"]');
  assert.ok(Number((await tone.locator('td').nth(1).innerText()).trim()) >= 1, 'one conversation reviewed both ways');
  assert.deepEqual(watch.stop(), [], 'no console errors, hydration warnings or panics');
});
