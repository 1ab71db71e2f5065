import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLock, lowestVersions, satisfies } from './check-engines.ts';

describe('engines check', () => {
  it('reads the range forms npm manifests use', () => {
    const cases: [string, [number, number, number], boolean][] = [
      ['>=22.13.0', [20, 19, 0], false],
      ['>=22.13.0', [22, 13, 0], true],
      ['>= 20.19.0', [20, 19, 0], true],
      ['^20.19.0 || >=22.12.0', [21, 0, 0], false],
      ['^20.19.0 || >=22.12.0', [22, 12, 0], true],
      ['18 || 20 || >=22', [20, 19, 0], true],
      ['18 || 20 || >=22', [21, 1, 0], false],
      ['6.* || 8.* || >= 10.*', [20, 19, 0], true],
      ['>= 0.6.x', [20, 19, 0], true],
      ['^13.7', [13, 6, 9], false],
      ['~1.2', [1, 3, 0], false],
      ['*', [20, 19, 0], true],
    ];
    for (const [range, version, expected] of cases)
      expect(satisfies(version, range), range).toBe(expected);
    expect(satisfies([20, 19, 0], 'node >= 0.8')).toBeUndefined();
    expect(lowestVersions('^20.19.0 || >=22.12.0')).toEqual([
      [20, 19, 0],
      [22, 12, 0],
    ]);
  });

  it('finds a package that needs a newer Node than package.json admits', () => {
    const lock = {
      packages: {
        '': { engines: { node: '>=20' } },
        'node_modules/listr2': { version: '10.2.2', engines: { node: '>=22.13.0' } },
      },
    };
    expect(checkLock(lock, '>=20')).toEqual([
      { pkg: 'listr2@10.2.2', range: '>=22.13.0', node: '20.0.0', reason: 'too new' },
    ]);
  });

  it('the committed lock runs on every Node package.json admits (the README says the same)', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
    expect(checkLock(lock, pkg.engines.node)).toEqual([]);
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('Node 20.19+');
  });
});
