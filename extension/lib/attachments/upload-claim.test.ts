import { describe, expect, it } from 'vitest';
import { claimedUploads, UploadBusyError, type UploadLocks, whileClaimed } from './upload-claim.ts';

/**
 * The Web Locks semantics the claim relies on (exclusive locks, `ifAvailable`
 * handing the callback null when the name is held, release when the callback
 * settles), for Node, which has no `navigator.locks`: the popup's and the side
 * panel's view of one origin-wide manager. The real `navigator.locks` in two
 * extension pages is checked in e2e/attachments-resume.e2e.test.ts.
 */
function originLocks(): UploadLocks {
  const held = new Set<string>();
  return {
    async request(name, _options, callback) {
      if (held.has(name)) return callback(null);
      held.add(name);
      try {
        return await callback({ name });
      } finally {
        held.delete(name);
      }
    },
    async query() {
      return { held: [...held].map((name) => ({ name })) };
    },
  };
}

function deferred() {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('one page at a time per pending upload', () => {
  it('a second page resuming the same upload is refused while the first sends it', async () => {
    const locks = originLocks();
    const sent: string[] = [];
    const first = deferred();
    const sidePanel = whileClaimed(locks, 'u1', async () => {
      await first.promise;
      sent.push('side panel');
    });
    await expect(
      whileClaimed(locks, 'u1', async () => {
        sent.push('popup');
      }),
    ).rejects.toBeInstanceOf(UploadBusyError);
    expect(await claimedUploads(locks)).toEqual(new Set(['u1']));
    // Another upload is not held up.
    await whileClaimed(locks, 'u2', async () => {
      sent.push('popup u2');
    });
    first.resolve();
    await sidePanel;
    expect(sent).toEqual(['popup u2', 'side panel']);
    expect(await claimedUploads(locks)).toEqual(new Set());
  });

  it('a failed upload releases its claim, so it can be resumed again', async () => {
    const locks = originLocks();
    await expect(
      whileClaimed(locks, 'u1', async () => {
        throw new Error('network');
      }),
    ).rejects.toThrow('network');
    expect(await whileClaimed(locks, 'u1', async () => 'resumed')).toBe('resumed');
  });
});
