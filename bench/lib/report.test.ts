import { describe, expect, it } from 'vitest';
import { suiteReport } from './report.ts';

const output = {
  results: { encryptPerS: 442 },
  markdown: '| metric | parley speed |\n|---|---:|\n| encryptPerS | 0.06× |',
};

describe('bench report', () => {
  it('a smoke run says it is a run-through and shows no numbers', () => {
    const text = suiteReport('crypto', output, { smoke: true, seconds: '11.4', environment: 'x' });
    expect(text).toContain('run-through passed');
    expect(text).toContain('nothing measured');
    expect(text).toContain('npm run bench -- crypto');
    expect(text).not.toContain('×');
    expect(text).not.toContain('|');
  });

  it('a full run prints the table and where it ran', () => {
    const text = suiteReport('crypto', output, {
      smoke: false,
      seconds: '80.0',
      environment: 'Node v20',
    });
    expect(text).toContain('| encryptPerS | 0.06× |');
    expect(text).toContain('_Node v20, 80.0 s_');
  });
});
