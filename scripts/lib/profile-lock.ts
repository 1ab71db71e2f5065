/**
 * One CLI command at a time per profile. Two commands on one profile are two
 * clients with the same device: the relay keeps one socket per device, so the
 * second connection replaced the first and a running `listen` went deaf, and
 * both appended to the same record log from stale in-memory copies.
 *
 * The lock is `<profile>/lock`, holding the owner's pid and command. It is
 * created complete and atomically (written to a temporary file, then hard
 * linked into place, which fails if a lock exists), so a reader never sees a
 * half-written one. A lock whose pid is no longer running is stale (the
 * command was killed) and is taken over.
 */
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LockOwner {
  readonly pid: number;
  readonly command: string;
  readonly startedAt: number;
}

export class ProfileBusyError extends Error {
  readonly code = 'PROFILE_BUSY';
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `profile ${dir} is in use by \`${owner.command}\` (pid ${owner.pid}). ` +
        'One command at a time per profile: stop that one first, or pass --profile DIR to use ' +
        `another account. (If no such process is running, delete ${join(dir, 'lock')}.)`,
    );
    this.name = 'ProfileBusyError';
  }
}

export interface ProfileLock {
  readonly path: string;
  release(): void;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0)
      return undefined;
    return {
      pid: parsed.pid,
      command: typeof parsed.command === 'string' ? parsed.command : 'parley',
      startedAt: typeof parsed.startedAt === 'number' ? parsed.startedAt : 0,
    };
  } catch {
    return undefined;
  }
}

export function acquireProfileLock(dir: string, command: string): ProfileLock {
  const path = join(dir, 'lock');
  const owner: LockOwner = { pid: process.pid, command, startedAt: Date.now() };
  const tmp = join(dir, `lock.${process.pid}.tmp`);
  writeFileSync(tmp, JSON.stringify(owner), { mode: 0o600 });
  try {
    // Two tries: the second after removing a stale lock.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(tmp, path);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          process.off('exit', release);
          if (readOwner(path)?.pid === process.pid) unlinkSync(path);
        };
        process.on('exit', release);
        return { path, release };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const current = readOwner(path);
      if (current !== undefined && isRunning(current.pid)) throw new ProfileBusyError(dir, current);
      // Stale (its process is gone) or unreadable (not written by this code): take it over.
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    const current = readOwner(path);
    throw new ProfileBusyError(
      dir,
      current ?? { pid: 0, command: 'another command', startedAt: 0 },
    );
  } finally {
    unlinkSync(tmp);
  }
}
