/**
 * axe-core in a page: injects axe.source (through CDP evaluation, so the
 * extension pages' CSP does not matter) and returns the violations, reduced
 * to what a test asserts on and a report prints: the rule, its impact and the
 * elements it found.
 *
 * Runs in: Node (vitest), driving pages through playwright-core.
 */
import axe from 'axe-core';
import type { Page } from 'playwright-core';

/**
 * Best-practice rules for landmarks and headings that must pass too, whatever
 * their impact: every page has a `main`, an h1, and no content outside landmarks.
 */
export const STRUCTURE_RULES: readonly string[] = [
  'landmark-one-main',
  'page-has-heading-one',
  'region',
  'landmark-no-duplicate-main',
  'landmark-unique',
  'heading-order',
];

export interface AxeViolation {
  readonly id: string;
  readonly impact: string;
  readonly targets: readonly string[];
}

export async function runAxe(page: Page): Promise<AxeViolation[]> {
  // Colours mid-transition (a scheme switch, a hover) would be measured half-way.
  await page.evaluate(() =>
    Promise.all(
      document
        .getAnimations()
        // Endless ones (typing dots, spinners) never finish.
        .filter((a) => a.effect?.getComputedTiming().endTime !== Number.POSITIVE_INFINITY)
        .map((a) => a.finished.catch(() => undefined)),
    ),
  );
  const injected = await page.evaluate(() => 'axe' in window);
  if (!injected) await page.evaluate(axe.source);
  return page.evaluate(async () => {
    const w = window as unknown as {
      axe: {
        run(
          context: Document,
          options: object,
        ): Promise<{
          violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[];
        }>;
      };
    };
    const result = await w.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'minor',
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    }));
  });
}

/** The violations a view must not have: serious or critical, or a structure rule. */
export function blocking(violations: readonly AxeViolation[]): AxeViolation[] {
  return violations.filter(
    (v) => v.impact === 'serious' || v.impact === 'critical' || STRUCTURE_RULES.includes(v.id),
  );
}

/** Node count of violations per impact, for the before/after table. */
export function countByImpact(violations: readonly AxeViolation[]): Record<string, number> {
  const counts: Record<string, number> = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const v of violations) counts[v.impact] = (counts[v.impact] ?? 0) + v.targets.length;
  return counts;
}

/** `aria-describedby` / `aria-labelledby` references to ids that are not in the page. */
export function danglingIdRefs(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const missing: string[] = [];
    for (const attr of ['aria-describedby', 'aria-labelledby']) {
      for (const el of document.querySelectorAll(`[${attr}]`)) {
        for (const id of (el.getAttribute(attr) ?? '').split(/\s+/)) {
          if (id !== '' && document.getElementById(id) === null) missing.push(`${attr}=${id}`);
        }
      }
    }
    return missing;
  });
}

/**
 * The page as it is, in light and then dark: axe's blocking violations
 * ("<scheme> <rule>: <targets>") and dangling id references; empty when clean.
 * Leaves the page in light.
 */
export async function auditThemes(page: Page): Promise<string[]> {
  const bad: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    for (const v of blocking(await runAxe(page)))
      bad.push(`${colorScheme} ${v.id}: ${v.targets.join(', ')}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
  bad.push(...(await danglingIdRefs(page)));
  return bad;
}
