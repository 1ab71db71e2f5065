/**
 * Set-up shared by the specs that drive several browsers at once against one
 * relay (backup, linking): a step timeout sized for three Chromiums on two
 * busy cores, the relay and three browsers launched with it (and stopped),
 * and the pages each spec keeps between its `it` steps, by name.
 *
 * Runs in: Node (vitest), driving /usr/bin/chromium through playwright-core.
 */
import type { Page } from 'playwright-core';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { ensureBuilt, launchBrowser, type ParleyBrowser, startRelay } from './fixture.ts';
import { WAIT_MS } from './steps.ts';

/**
 * Three browsers share two cores with whatever other spec runs beside this one: a passkey
 * registration once took over 20 s in CI, so each step here may take up to 3 × WAIT_MS.
 */
export const STEP_MS = 3 * WAIT_MS;

/** A fresh browser whose every Playwright wait defaults to STEP_MS. */
async function launchWithStepTimeout(): Promise<ParleyBrowser> {
  const browser = await launchBrowser();
  browser.context.setDefaultTimeout(STEP_MS);
  return browser;
}

/** Builds the extension once, then starts the relay and three browsers side by side. */
export async function startRelayAndThreeBrowsers(): Promise<
  [RelayProcess, ParleyBrowser, ParleyBrowser, ParleyBrowser]
> {
  ensureBuilt(); // once, before three browsers start (a build on a busy machine takes minutes)
  return Promise.all([
    startRelay(),
    launchWithStepTimeout(),
    launchWithStepTimeout(),
    launchWithStepTimeout(),
  ]);
}

/** Closes the browsers that started (whatever else failed), then stops the relay. */
export async function stopRelayAndBrowsers(
  relay: RelayProcess | undefined,
  browsers: readonly (ParleyBrowser | undefined)[],
): Promise<void> {
  await Promise.allSettled(browsers.map((b) => b?.close()));
  await relay?.dispose();
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
