import { launch, startServer } from './tests/support.mjs';
const server = await startServer({ seed: true });
const browser = await launch();
const page = await browser.newPage();
page.on('console', (m) => console.log(`[${m.type()}] ${m.text().slice(0, 600)}`));
page.on('pageerror', (e) => console.log(`[pageerror] ${e.message.slice(0, 600)}`));
for (const p of (process.argv[2] || '/sign-in').split(',')) {
  console.log('==== ' + p);
  await page.goto(server.base + p);
  await page.waitForTimeout(4000);
  console.log('hydrated:', await page.evaluate(() => document.body.dataset.hydrated));
}
await browser.close(); server.stop();
