/**
 * UI suite: what the popup costs to load and how fast it shows its first
 * screen, against a reference peer measured in the same run.
 *
 *  - Sizes (JS loaded at open, gzip -9, static import graph of the built
 *    page: ui/sizes.ts): popup, side panel, onboarding, and the worker.
 *  - First render: `performance.mark('parley:first-render')` (ChatShell
 *    sets it at the start of the frame that paints the first complete screen:
 *    status known and, when unlocked, the conversation list loaded), read as
 *    ms since navigation start. Median over 10 opens of popup.html in
 *    headless Chromium with the built extension, after one discarded open;
 *    opens of the popup and of the reference alternate.
 *  - Reference peer: the smallest Solid page built with the same compiler
 *    (ui/hello/), added to a copy of the built extension and opened the same
 *    way (ui/reference.ts). Ratios say what Parley adds over that floor.
 *  - Full run: the popup shows a real conversation list: a relay process, an
 *    account onboarded through the real onboarding page (virtual passkey with
 *    PRF), two other accounts (Node clients) writing to it. Smoke run
 *    (`npm test`): sizes, then one open of each page on a fresh profile.
 *
 * Results: bench/results/ui.json.
 */
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import {
  addVirtualAuthenticator,
  CHROMIUM,
  ensureBuilt,
  launchBrowser,
  openPage,
  type ParleyBrowser,
  startRelay,
} from '../extension/e2e/fixture.ts';
import { registerUser, type TestUser } from '../shared/client/testing/harness.ts';
import { median, round } from './lib/stats.ts';
import type { Suite } from './lib/suite.ts';
import { buildReferenceExtension, HELLO_PAGE } from './ui/reference.ts';
import { fileWeight, pageWeight } from './ui/sizes.ts';

const MARK = 'parley:first-render';
const OPENS = 10;
const TARGETS = { popupGzipBytes: 80_000, popupFirstRenderMs: 150 } as const;

/** Opens `url` in `page` and returns the first-render mark, in ms since navigation start. */
async function firstRender(page: Page, url: string): Promise<number> {
  await page.goto(url);
  const handle = await page.waitForFunction(
    (mark) => performance.getEntriesByName(mark)[0]?.startTime,
    MARK,
    { timeout: 20_000, polling: 'raf' },
  );
  return Number(await handle.jsonValue());
}

interface Account {
  readonly peers: readonly TestUser[];
  dispose(): Promise<void>;
}

/** A relay, an account onboarded in `browser`, and two contacts who wrote to it. */
async function realAccount(browser: ParleyBrowser, log: (line: string) => void): Promise<Account> {
  const relay = await startRelay();
  const peers: TestUser[] = [];
  try {
    const page = await openPage(browser, 'onboarding');
    await addVirtualAuthenticator(page, { prf: true });
    await page.getByLabel('Relay').fill(relay.url);
    await page.getByLabel('Handle').fill('sam');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByRole('heading', { name: /You’re all set/ }).waitFor();
    for (const name of ['alice', 'bob']) {
      const peer = await registerUser(relay.url, name);
      peers.push(peer);
      const chat = await peer.client.startConversation('sam');
      await peer.client.sendText({ conversationId: chat.id, text: `Hello from ${name}` });
    }
    await openPage(browser, 'popup', page);
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('button')
      .nth(peers.length - 1)
      .waitFor();
    await page.close();
    log(`account ready: popup lists ${peers.length} conversations`);
  } catch (e) {
    for (const p of peers) await p.client.stop();
    await relay.dispose();
    throw e;
  }
  return {
    peers,
    async dispose() {
      for (const p of peers) await p.client.stop();
      await relay.dispose();
    },
  };
}

function chromiumVersion(): string {
  try {
    return (
      execFileSync(CHROMIUM, ['--version'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      })
        .trim()
        .split('\n')[0] ?? ''
    );
  } catch {
    return 'unknown';
  }
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

export const suite: Suite = {
  description:
    'Popup and side panel: JS loaded at open (gzip) and popup first render, vs a minimal Solid page',
  async run({ smoke, log }) {
    const built = ensureBuilt();
    const popup = pageWeight(built, 'popup.html');
    const sidepanel = pageWeight(built, 'sidepanel.html');
    const onboarding = pageWeight(built, 'onboarding.html');
    const worker = fileWeight(built, 'background.js');
    const reference = await buildReferenceExtension(built);
    const hello = pageWeight(reference.dir, HELLO_PAGE);
    log(`popup loads ${popup.files.join(', ')}`);

    const browser = await launchBrowser({ extensionPath: reference.dir });
    browser.context.setDefaultTimeout(30_000);
    let account: Account | undefined;
    const popupMs: number[] = [];
    const helloMs: number[] = [];
    try {
      if (!smoke) account = await realAccount(browser, log);
      const tab = await browser.context.newPage();
      await tab.setViewportSize({ width: 380, height: 560 });
      const base = `chrome-extension://${browser.extensionId}`;
      const opens = smoke ? 1 : OPENS;
      if (!smoke) {
        // One discarded open of each: the first compiles and caches the scripts.
        await firstRender(tab, `${base}/popup.html`);
        await firstRender(tab, `${base}/${HELLO_PAGE}`);
      }
      for (let i = 0; i < opens; i++) {
        const popupFirst = i % 2 === 0;
        if (popupFirst) popupMs.push(await firstRender(tab, `${base}/popup.html`));
        helloMs.push(await firstRender(tab, `${base}/${HELLO_PAGE}`));
        if (!popupFirst) popupMs.push(await firstRender(tab, `${base}/popup.html`));
      }
      if (!smoke) {
        const shown = await tab
          .getByRole('list', { name: 'Conversations' })
          .getByRole('button')
          .count();
        if (shown !== account?.peers.length)
          throw new Error(`the popup showed ${shown} conversations, not the account's list`);
      }
    } finally {
      await account?.dispose();
      await browser.close();
      reference.dispose();
    }

    const popupFirstRenderMs = round(median(popupMs));
    const helloFirstRenderMs = round(median(helloMs));
    const results = {
      popupGzipBytes: popup.gzipBytes,
      sidepanelGzipBytes: sidepanel.gzipBytes,
      onboardingGzipBytes: onboarding.gzipBytes,
      workerGzipBytes: worker.gzipBytes,
      popupFirstRenderMs,
      popupFirstRenderRangeMs: [round(Math.min(...popupMs)), round(Math.max(...popupMs))],
      opens: popupMs.length,
      screen: smoke ? 'welcome (fresh profile)' : 'conversation list, 2 conversations, unlocked',
      reference: {
        name: 'solid-hello',
        jsGzipBytes: hello.gzipBytes,
        firstRenderMs: helloFirstRenderMs,
        firstRenderRangeMs: [round(Math.min(...helloMs)), round(Math.max(...helloMs))],
      },
      ratios: {
        popupJsVsReference: round(popup.gzipBytes / hello.gzipBytes),
        sidepanelJsVsReference: round(sidepanel.gzipBytes / hello.gzipBytes),
        popupFirstRenderVsReference: round(popupFirstRenderMs / helloFirstRenderMs),
      },
      targets: TARGETS,
      chromium: chromiumVersion(),
    };
    const row = (label: string, value: string, ref: string, ratio: number, target: string) =>
      `| ${label} | ${value} | ${ref} | ${ratio.toFixed(2)} | ${target} |`;
    const markdown = [
      `Reference peer: the smallest Solid page (bench/ui/hello), built with the same compiler and opened as a page of the same extension. ${popupMs.length} opens each, median (range).`,
      '',
      '| metric | Parley | solid-hello | Parley / solid-hello | target |',
      '|---|---:|---:|---:|---:|',
      row(
        'popupGzipBytes (JS at open, gzip -9)',
        kB(popup.gzipBytes),
        kB(hello.gzipBytes),
        results.ratios.popupJsVsReference,
        `≤ ${kB(TARGETS.popupGzipBytes)}`,
      ),
      row(
        'sidepanelGzipBytes (JS at open, gzip -9)',
        kB(sidepanel.gzipBytes),
        kB(hello.gzipBytes),
        results.ratios.sidepanelJsVsReference,
        '–',
      ),
      row(
        `popupFirstRenderMs (${results.screen})`,
        `${popupFirstRenderMs} ms (${results.popupFirstRenderRangeMs.join('–')})`,
        `${helloFirstRenderMs} ms (${results.reference.firstRenderRangeMs.join('–')})`,
        results.ratios.popupFirstRenderVsReference,
        `≤ ${TARGETS.popupFirstRenderMs} ms`,
      ),
      '',
      `Also: onboarding ${kB(onboarding.gzipBytes)}, worker ${kB(worker.gzipBytes)} (gzip). ${results.chromium}.`,
    ].join('\n');
    return { results, markdown };
  },
};
