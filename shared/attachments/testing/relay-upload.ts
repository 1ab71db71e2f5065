/**
 * Attachment transfers against a real relay process (edge/testing/relay-process.ts),
 * for the process test and the benchmark: an account with one device that
 * creates uploads (device-signed, as the background does), and the platform
 * dependencies a transfer takes in Node.
 */

import {
  accountWithDevice,
  deviceRequest,
  expectJson,
  type Http,
  type TestDevice,
} from '../../../edge/testing/client.ts';
import { systemRandom } from '../../crypto/random.ts';
import type { TransferDeps } from '../retry.ts';
import type { CreatedUpload } from '../upload.ts';

export const nodeTransferDeps: TransferDeps = {
  fetch: (input, init) => fetch(input, init),
  timers: {
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  },
  random: systemRandom,
};

export interface Uploader {
  readonly device: TestDevice;
  /** POST /v1/attachments for `size` blob bytes: the create response. */
  create(size: number): Promise<CreatedUpload>;
}

export async function uploaderOn(http: Http, handle: string): Promise<Uploader> {
  const device = await accountWithDevice(http, handle);
  return {
    device,
    create: async (size) =>
      expectJson<CreatedUpload & Record<string, unknown>>(
        await deviceRequest(http, device, 'POST', '/v1/attachments', { size }),
        201,
      ),
  };
}
