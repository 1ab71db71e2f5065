/**
 * The parent's handle on a peer running in its own child process
 * (peer-process.ts): one slice at a time, over the IPC channel.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {
  SliceKind,
  SliceRequest,
  SliceResponse,
  SliceResult,
  SliceRunner,
  SliceSizes,
} from './measure.ts';

const ENTRY = fileURLToPath(new URL('./peer-process.ts', import.meta.url));

export interface RemotePeer extends SliceRunner {
  close(): Promise<void>;
}

/**
 * Starts the peer's process (it inherits this process's Node flags, i.e. the
 * TypeScript loader) and resolves once its sessions are open.
 */
export function startRemotePeer(name: string): Promise<RemotePeer> {
  const child: ChildProcess = fork(ENTRY, [name], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<
    number,
    { resolve: (r: SliceResult) => void; reject: (e: Error) => void }
  >();
  let nextId = 0;
  let failure: Error | undefined;
  const failAll = (e: Error): void => {
    failure ??= e;
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      failAll(new Error(`${name} peer process exited (${signal ?? code})`));
      resolve();
    });
  });

  return new Promise((resolveStart, rejectStart) => {
    child.once('error', rejectStart);
    exited.then(() => rejectStart(failure));
    child.on('message', (message: SliceResponse) => {
      if ('ready' in message) {
        resolveStart({
          name,
          slice(kind: SliceKind, sizes: SliceSizes): Promise<SliceResult> {
            if (failure !== undefined) return Promise.reject(failure);
            const id = nextId++;
            const request: SliceRequest = { id, kind, sizes };
            return new Promise((resolve, reject) => {
              pending.set(id, { resolve, reject });
              child.send(request);
            });
          },
          async close(): Promise<void> {
            if (child.connected) child.send('exit');
            await exited;
          },
        });
        return;
      }
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if ('error' in message) waiter?.reject(new Error(`${name}: ${message.error}`));
      else waiter?.resolve(message.result);
    });
  });
}
