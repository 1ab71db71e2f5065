/**
 * The set-up the CLI's process tests share: the CLI run exactly as
 * `npm run cli -- …` runs it (`tsx scripts/cli.ts`), one real relay process
 * per test file (shared/client/testing/relay-fixture.ts) and a temporary
 * folder for the file's profiles, removed after its tests. Test-only: it
 * registers vitest hooks, so import it from test files only.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { type RelayFixture, useRelayProcess } from '../../shared/client/testing/relay-fixture.ts';

const run = promisify(execFile);

/** The repository root: the CLI's working directory. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
export const CLI = join(ROOT, 'scripts', 'cli.ts');

/** Runs one CLI command to its end (with `env` over this process's); its stdout, or a rejection. */
export async function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<string> {
  const { stdout } = await run(TSX, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
  return stdout;
}

/** The JSON lines of a `--json` run's output (other lines are skipped). */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

export interface CliWorkspace {
  /** The relay process (only inside tests and hooks: it starts in beforeAll). */
  readonly relay: RelayFixture;
  /** The file's temporary folder (only inside tests and hooks). */
  readonly dir: string;
}

/**
 * Registers the file's beforeAll/afterAll for a relay process and a temporary
 * folder named `parley-<name>-…`; call at the top level. Hooks the file
 * registers afterwards run before these in afterAll (vitest runs them as a
 * stack), so a file stops its own children before the relay goes.
 */
export function useCliWorkspace(name: string): CliWorkspace {
  const relay = useRelayProcess();
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), `parley-${name}-`));
  });
  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return {
    relay,
    get dir() {
      if (dir === undefined) throw new Error('the folder is made in beforeAll');
      return dir;
    },
  };
}
