import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireProfileLock, ProfileBusyError } from './profile-lock.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A pid that certainly belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

describe('profile lock', () => {
  it('lets one command hold a profile; a second gets an error naming --profile', () => {
    const lock = acquireProfileLock(dir, 'npm run cli -- listen');
    expect(JSON.parse(readFileSync(lock.path, 'utf8'))).toMatchObject({
      pid: process.pid,
      command: 'npm run cli -- listen',
    });
    // Same pid here, but the lock is what counts: a live owner means busy.
    const second = () => acquireProfileLock(dir, 'npm run cli -- send');
    expect(second).toThrow(ProfileBusyError);
    expect(second).toThrow(/in use by `npm run cli -- listen` \(pid \d+\).*--profile DIR/);
    lock.release();
    expect(existsSync(lock.path)).toBe(false);
    acquireProfileLock(dir, 'npm run cli -- send').release();
  });

  it('takes over a stale lock (its process is gone) and an unreadable one', () => {
    writeFileSync(
      join(dir, 'lock'),
      JSON.stringify({ pid: deadPid(), command: 'x', startedAt: 1 }),
    );
    const lock = acquireProfileLock(dir, 'inbox');
    expect(JSON.parse(readFileSync(lock.path, 'utf8')).pid).toBe(process.pid);
    lock.release();
    writeFileSync(join(dir, 'lock'), 'not json');
    acquireProfileLock(dir, 'inbox').release();
    expect(existsSync(join(dir, 'lock'))).toBe(false);
  });

  it('does not remove a lock another process took over', () => {
    const lock = acquireProfileLock(dir, 'listen');
    writeFileSync(lock.path, JSON.stringify({ pid: process.ppid, command: 'other', startedAt: 2 }));
    lock.release();
    expect(existsSync(lock.path)).toBe(true);
  });
});
