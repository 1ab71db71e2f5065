/**
 * Set-up shared by the specs that drive several browsers at once against one
 * relay (backup, linking): a step timeout sized for three Chromiums on two
 * busy cores, browsers launched with it, and the pages each spec keeps
 * between its `it` steps, by name.
 *
 * Runs in: Node (vitest), driving /usr/bin/chromium through playwright-core.
 */
import type { Page } from 'playwright-core';
import { launchBrowser, type ParleyBrowser } from './fixture.ts';
import { WAIT_MS } from './steps.ts';

/**
 * Three browsers share two cores with whatever other spec runs beside this one: a passkey
 * registration once took over 20 s in CI, so each step here may take up to 3 × WAIT_MS.
 */
export const STEP_MS = 3 * WAIT_MS;

/** A fresh browser whose every Playwright wait defaults to STEP_MS. */
export async function launchWithStepTimeout(): Promise<ParleyBrowser> {
  const browser = await launchBrowser();
  browser.context.setDefaultTimeout(STEP_MS);
  return browser;
}

/**
 * The pages a spec keeps from one `it` to the next: set `tabs.name = page`,
 * read with `tab(name)`, which throws when no earlier step opened it.
 */
export function namedTabs(): { tabs: Record<string, Page>; tab(name: string): Page } {
  const tabs: Record<string, Page> = {};
  return {
    tabs,
    tab(name: string): Page {
      const page = tabs[name];
      if (page === undefined) throw new Error(`no tab ${name}`);
      return page;
    },
  };
}
