/**
 * Renders extension/assets/icon.svg to the toolbar/store PNGs in
 * extension/public/icon/ with the system Chromium (the same engine that will
 * show them). Run after changing the SVG: `npx tsx extension/tools/render-icons.ts`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const svg = readFileSync(join(here, '..', 'assets', 'icon.svg'), 'utf8');
const sizes = [16, 32, 48, 128];

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  for (const size of sizes) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${svg.replace('width="128" height="128"', `width="${size}" height="${size}"`)}</body></html>`,
    );
    const png = await page.locator('svg').screenshot({ omitBackground: true });
    writeFileSync(join(here, '..', 'public', 'icon', `${size}.png`), png);
  }
} finally {
  await browser.close();
}
