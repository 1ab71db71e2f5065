/**
 * The UI preview served over HTTP and one plain headless Chromium, started
 * before a spec file's tests and closed after them: the set-up every
 * preview-based spec shares.
 */
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { CHROMIUM } from '../fixture.ts';
import { buildPreview, type Preview } from './build-preview.ts';

export interface PreviewBrowser {
  readonly preview: Preview;
  readonly browser: Browser;
}

/** Registers the hooks; the returned object is filled in by the time tests run. */
export function usePreviewBrowser(): PreviewBrowser {
  const env = {} as { preview: Preview; browser: Browser };
  beforeAll(async () => {
    env.preview = await buildPreview();
    env.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  });
  afterAll(async () => {
    await env.browser?.close();
    await env.preview?.close();
  });
  return env;
}
