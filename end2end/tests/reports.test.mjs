// The report builder in the browser, on the seeded demo workspace (ninety days
// of past tickets): build a report from the controls, change the chart type,
// click a bar and land on the conversations behind it, read a table cell's
// drill-down, save the report and open it again from the saved list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHOTS, hydrated, launch, open, signInDemo, startServer, watchProblems } from './support.mjs';

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
