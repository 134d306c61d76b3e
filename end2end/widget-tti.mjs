// Measures the chat widget's time to interactive on the demo store of a running
// server (not a test: a measurement for docs/benchmarks.md).
//   node widget-tti.mjs http://127.0.0.1:3000 [runs]
// Each run opens the demo store in a fresh browser context (cold cache) with
// Debian's Chromium, and reports the time from navigation start until the widget's
// launcher answers a click (its panel opens), plus the bytes the widget fetched.
import { launch } from './tests/support.mjs';

const base = process.argv[2] || 'http://127.0.0.1:3000';
const runs = Number(process.argv[3] || 10);
const browser = await launch();
const times = [];
let bytes = 0;
for (let i = 0; i < runs; i++) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  let fetched = 0;
  page.on('response', async (r) => {
    if (r.url().includes('/widget')) {
      try { fetched += (await r.body()).length; } catch {}
    }
  });
  const t0 = Date.now();
  await page.goto(`${base.replace('127.0.0.1', 'localhost')}/demo/store`);
  const w = page.frameLocator('iframe[data-switchboard-widget]');
  await w.locator('[data-testid="widget-launcher"]').click();
  await w.locator('[data-testid="widget-panel"]').waitFor();
  times.push(Date.now() - t0);
  bytes = fetched;
  await ctx.close();
}
await browser.close();
times.sort((a, b) => a - b);
const p = (q) => times[Math.min(times.length - 1, Math.round((times.length - 1) * q))];
console.log(`widget time to interactive over ${runs} cold loads: p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, max ${times.at(-1)} ms; widget bytes fetched (uncompressed as served) ${bytes}`);
