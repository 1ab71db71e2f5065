/**
 * axe-core on every view, light and dark: the popup and side panel through
 * the UI preview (the real components with made-up data, see preview/), the
 * onboarding steps in the built extension against a real relay. A view passes
 * with no violation of impact serious or critical and the landmark and
 * heading rules (axe.ts STRUCTURE_RULES) passing. The counts per view are
 * written to test-results/axe-counts.json (docs/extension.md, Accessibility).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RelayProcess } from '../../edge/testing/relay-process.ts';
import { type AxeViolation, blocking, countByImpact, danglingIdRefs, runAxe } from './axe.ts';
import {
  addVirtualAuthenticator,
  launchBrowser,
  openPage,
  PAGE_VIEWPORTS,
  type ParleyBrowser,
  RESULTS_DIR,
  screenshot,
  startRelay,
} from './fixture.ts';
import { usePreviewBrowser } from './preview/preview-browser.ts';

type Scheme = 'light' | 'dark';
const SCHEMES: readonly Scheme[] = ['light', 'dark'];

const env = usePreviewBrowser();
const table: Record<string, { counts: Record<string, number>; blocking: string[] }> = {};

afterAll(() => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, 'axe-counts.json'), `${JSON.stringify(table, null, 2)}\n`);
});

/** Runs axe, records the counts under `name`, and returns the blocking violations. */
async function audit(page: Page, name: string): Promise<AxeViolation[]> {
  const violations = await runAxe(page);
  const bad = blocking(violations);
  const dangling = await danglingIdRefs(page);
  if (dangling.length > 0) bad.push({ id: 'dangling-idref', impact: 'serious', targets: dangling });
  table[name] = {
    counts: countByImpact(violations),
    blocking: bad.map((v) => `${v.id} ×${v.targets.length}`),
  };
  await screenshot(page, `a11y-${name}`);
  return bad;
}

interface View {
  readonly name: string;
  readonly variant: 'popup' | 'sidepanel';
  readonly scene?: string;
  /** From the first screen of the scene to the view. */
  go(page: Page): Promise<void>;
}

const list = (page: Page) => page.getByRole('list', { name: 'Conversations' });
const openChat = async (page: Page, title: RegExp) => {
  await list(page).getByRole('button', { name: title }).click();
  await page.getByRole('log').waitFor();
  await expect.poll(() => page.locator('.messages__item').count()).toBeGreaterThan(0);
};
const listShown = async (page: Page) => {
  await expect.poll(() => list(page).getByRole('button').count()).toBeGreaterThan(3);
};

const VIEWS: readonly View[] = [
  ...(['popup', 'sidepanel'] as const).flatMap((variant): View[] => [
    { name: `${variant}-list`, variant, go: listShown },
    { name: `${variant}-chat`, variant, go: (p) => openChat(p, /^alice/) },
    { name: `${variant}-request`, variant, go: (p) => openChat(p, /^dana\.r/) },
    { name: `${variant}-group-chat`, variant, go: (p) => openChat(p, /^Weekend trip/) },
    {
      name: `${variant}-new-group`,
      variant,
      go: async (p) => {
        await p.getByRole('button', { name: 'Start a chat' }).first().click();
        await p.getByRole('button', { name: 'Group', exact: true }).click();
        await p.getByRole('form', { name: 'New group' }).waitFor();
      },
    },
    {
      name: `${variant}-lock`,
      variant,
      scene: 'locked',
      go: (p) =>
        p
          .getByRole('button', { name: /Unlock/ })
          .first()
          .waitFor(),
    },
  ]),
  {
    name: 'sidepanel-contact',
    variant: 'sidepanel',
    go: async (p) => {
      await openChat(p, /^alice/);
      await p.getByRole('button', { name: /^alice, .*: contact details/ }).click();
      await expect.poll(() => p.getByRole('img', { name: /QR code/ }).isVisible()).toBe(true);
    },
  },
  {
    name: 'sidepanel-group-page',
    variant: 'sidepanel',
    go: async (p) => {
      await openChat(p, /^Weekend trip/);
      await p.getByRole('button', { name: /^Weekend trip, .*: group details/ }).click();
      await p.getByRole('list', { name: 'Members' }).waitFor();
    },
  },
  {
    name: 'sidepanel-settings',
    variant: 'sidepanel',
    go: async (p) => {
      await listShown(p);
      await p.getByRole('button', { name: 'Settings' }).click();
      await p.getByRole('switch', { name: 'Read receipts' }).waitFor();
    },
  },
];

describe('axe-core on every view (UI preview)', () => {
  for (const view of VIEWS) {
    for (const scheme of SCHEMES) {
      it(`${view.name} (${scheme})`, async () => {
        const page = await env.browser.newPage({
          viewport: PAGE_VIEWPORTS[view.variant],
          colorScheme: scheme,
        });
        try {
          await page.goto(
            `${env.preview.url}?variant=${view.variant}&scene=${view.scene ?? 'chat'}`,
          );
          await view.go(page);
          expect(await audit(page, `${view.name}-${scheme}`)).toEqual([]);
        } finally {
          await page.close();
        }
      });
    }
  }
});

describe('names a person hears outside the page', () => {
  it('document.title: "(n) Parley" on the list, "alice – Parley" in a chat', async () => {
    const page = await env.browser.newPage({ viewport: PAGE_VIEWPORTS.sidepanel });
    try {
      await page.goto(`${env.preview.url}?variant=sidepanel&scene=chat`);
      await listShown(page);
      await expect.poll(() => page.title()).toMatch(/^\(\d+\) Parley$/);
      await openChat(page, /^alice/);
      await expect.poll(() => page.title()).toBe('alice – Parley');
      await page.getByRole('button', { name: 'Back to conversations' }).click();
      await expect.poll(() => page.title()).toMatch(/^\(\d+\) Parley$/);
      // The filter says how many requests there are, as words.
      await page.getByRole('button', { name: 'Requests, 1 new' }).waitFor();
    } finally {
      await page.close();
    }
  });
});

describe('axe-core on the onboarding steps (built extension, real relay)', () => {
  let relay: RelayProcess | undefined;
  let ext: ParleyBrowser | undefined;

  // The first launch may build the extension (fixture.ts ensureBuilt).
  beforeAll(async () => {
    relay = await startRelay();
    ext = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await ext?.close();
    await relay?.dispose();
  });

  /** Audits the current step in both schemes and returns the blocking violations by name. */
  async function auditStep(page: Page, step: string): Promise<Record<string, AxeViolation[]>> {
    const found: Record<string, AxeViolation[]> = {};
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      const bad = await audit(page, `onboarding-${step}-${scheme}`);
      if (bad.length > 0) found[`${step}-${scheme}`] = bad;
    }
    return found;
  }

  it('account, passkey, passphrase and done steps', { timeout: 240_000 }, async () => {
    if (relay === undefined || ext === undefined) throw new Error('not started');
    const page = await openPage(ext, 'onboarding');
    await addVirtualAuthenticator(page, { prf: false });
    await page.getByLabel('Handle').waitFor();
    const found = await auditStep(page, 'account');
    // Reflow (WCAG 1.4.10): nothing scrolls sideways at 320 CSS px.
    await page.setViewportSize({ width: 320, height: 700 });
    await page.emulateMedia({ colorScheme: 'light' });
    await screenshot(page, 'zoom-onboarding-320');
    expect(
      await page.evaluate(() => {
        const doc = document.scrollingElement ?? document.documentElement;
        return doc.scrollWidth - doc.clientWidth;
      }),
    ).toBeLessThanOrEqual(0);
    await page.setViewportSize(PAGE_VIEWPORTS.onboarding);
    await page.getByLabel('Relay').fill(relay.url);
    await page.getByLabel('Handle').fill('axe_alice');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Create passkey' }).waitFor();
    Object.assign(found, await auditStep(page, 'passkey'));
    await page.bringToFront();
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByLabel('Passphrase', { exact: true }).waitFor();
    Object.assign(found, await auditStep(page, 'passphrase'));
    const passphrase = 'correct horse battery staple axe';
    await page.getByLabel('Passphrase', { exact: true }).fill(passphrase);
    await page.getByLabel('Repeat it').fill(passphrase);
    await page.getByRole('button', { name: 'Create vault' }).click();
    await page.getByRole('heading', { name: 'You’re all set, @axe_alice' }).waitFor();
    Object.assign(found, await auditStep(page, 'done'));
    expect(found).toEqual({});
  });
});
