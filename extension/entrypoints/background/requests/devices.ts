/**
 * Linked devices (docs/extension.md, "Linked devices"): linking this browser
 * to an account or another browser to this one (the long-running flows live
 * in link-jobs.ts; pages read `linkStatus` and answer `linkDecide`), the
 * account's device list, removal, the passkey user verification both need,
 * and the "a new device was linked" notices.
 *
 * Runs in: the service worker and Node (tests).
 */
import * as v from 'valibot';
import { AuthenticationResponseSchema } from '../../../../shared/wire/rest-auth.ts';
import { ExtErrorCode, extError } from '../../../lib/errors.ts';
import type { DeviceNotice, DeviceView, LinkState } from '../../../lib/protocol.ts';
import { none, relayUrl } from './fields.ts';
import { deviceServices, request } from './row.ts';

/** The name this browser gives itself; shown on the approving device's warning screen. */
const deviceName = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'must not be empty'),
  v.maxLength(64, 'must be at most 64 characters'),
  v.regex(/^[^\p{Cc}]*$/u, 'must not contain control characters'),
);
/** `LLLL-SSSS-SSSS` as typed (the core normalises case, spaces and dashes). */
const linkCode = v.pipe(v.string(), v.minLength(1), v.maxLength(64));
/** Path B: the `parley:link?…` string the new browser shows (the core parses the rest). */
const linkString = v.pipe(
  v.string(),
  v.trim(),
  v.startsWith('parley:link?', 'must be a Parley link string'),
  v.maxLength(256),
);
/** Path B: the 6 digits the approving browser shows; spaces between groups are allowed. */
const checkCode = v.pipe(
  v.string(),
  v.maxLength(16),
  v.transform((s) => s.replace(/\s/g, '')),
  v.regex(/^\d{6}$/, 'must be 6 digits'),
);
const deviceId = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 ** 31 - 1));

export const deviceRequests = {
  /**
   * The new browser (vault just created, no account): open a rendezvous and
   * show its code, or with `path: 'string'` its link string (path B).
   */
  linkStart: request({
    input: v.strictObject({
      relayUrl,
      deviceName,
      path: v.optional(v.picklist(['code', 'string'])),
    }),
    unlocked: true,
    run: async (ctx, input): Promise<LinkState> => {
      const { shell, runtime } = ctx;
      if ((await shell.deps.account.get())?.registered)
        throw extError(ExtErrorCode.ONBOARDING_DONE, 'This browser already has a Parley account');
      return deviceServices(ctx).links.startNew({
        relayUrl: input.relayUrl,
        deviceName: input.deviceName,
        ...(input.path === undefined ? {} : { path: input.path }),
        register: async (payload) => {
          const info = await runtime.joinLinked(payload, input.deviceName);
          await shell.deps.account.set({
            handle: info.handle,
            relayUrl: info.relayUrl,
            registered: true,
          });
          return info;
        },
        // After the history is in: the client drains the queue only now.
        start: async () => {
          await runtime.resume();
          await shell.publishStatus();
        },
      });
    },
  }),

  /** Where the running link is (either side). */
  linkStatus: request({
    input: none,
    unlocked: false,
    run: async (ctx): Promise<LinkState> => deviceServices(ctx).links.state(),
  }),

  linkCancel: request({
    input: none,
    unlocked: false,
    run: async (ctx): Promise<LinkState> => deviceServices(ctx).links.cancel(),
  }),

  /** An existing device: the code shown on the new browser. The flow stops at `confirm`. */
  linkApproveStart: request({
    input: v.strictObject({ code: linkCode }),
    unlocked: true,
    run: async (ctx, { code }): Promise<LinkState> => {
      const acct = await ctx.shell.deps.account.get();
      if (!acct?.registered) throw extError(ExtErrorCode.VAULT_NOT_FOUND, 'No account here');
      return deviceServices(ctx).links.startExisting({ relayUrl: acct.relayUrl, code });
    },
  }),

  /** Path B, the new browser: the check code the approving browser shows, as typed here. */
  linkCheckCode: request({
    input: v.strictObject({ code: checkCode }),
    unlocked: true,
    run: async (ctx, { code }): Promise<LinkState> =>
      deviceServices(ctx).links.answerCheckCode(code),
  }),

  /**
   * Path B, an existing device: the link string shown on the new browser.
   * The flow shows the check code, then stops at `confirm` as on path A.
   */
  linkApproveString: request({
    input: v.strictObject({ linkString }),
    unlocked: true,
    run: async (ctx, input): Promise<LinkState> => {
      const acct = await ctx.shell.deps.account.get();
      if (!acct?.registered) throw extError(ExtErrorCode.VAULT_NOT_FOUND, 'No account here');
      return deviceServices(ctx).links.startExisting({
        relayUrl: acct.relayUrl,
        code: input.linkString,
      });
    },
  }),

  /**
   * The warning screen's answer; approving takes a fresh user verification
   * first. `history` (default true): send the message history too.
   */
  linkDecide: request({
    input: v.strictObject({ approve: v.boolean(), history: v.optional(v.boolean()) }),
    unlocked: true,
    run: async (ctx, { approve, history }): Promise<LinkState> =>
      deviceServices(ctx).links.decide(approve, history ?? true),
  }),

  /** Starts a passkey login; the page runs the ceremony with these options (UV required). */
  beginUserVerification: request({
    input: none,
    unlocked: true,
    run: async (ctx): Promise<Readonly<Record<string, unknown>>> =>
      deviceServices(ctx).verification.begin((authenticator) => ctx.client.login(authenticator)),
  }),

  /** The page's assertion; the relay checks it (UV flag included). */
  finishUserVerification: request({
    input: v.strictObject({ assertion: AuthenticationResponseSchema }),
    unlocked: true,
    run: async (ctx, { assertion }): Promise<null> => {
      await deviceServices(ctx).verification.finish(assertion);
      return null;
    },
  }),

  listDevices: request({
    input: none,
    unlocked: true,
    run: async ({ client }): Promise<DeviceView[]> =>
      (await client.listDevices()).map((d) => ({
        id: d.id,
        name: d.name,
        addedAt: d.createdAt,
        lastSeenAt: d.lastSeenAt,
        current: d.current,
      })),
  }),

  /** This browser's name, as the account's other devices show it. */
  renameThisDevice: request({
    input: v.strictObject({ name: deviceName }),
    unlocked: true,
    run: async (ctx, { name }): Promise<null> => {
      await ctx.client.renameDevice(name);
      ctx.shell.deps.emit({ type: 'devices' });
      return null;
    },
  }),

  /** Unlink: a signed list without the device (the relay revokes it). Needs a fresh verification. */
  removeDevice: request({
    input: v.strictObject({ deviceId }),
    unlocked: true,
    run: async (ctx, input): Promise<null> => {
      const self = ctx.client.deviceAddress()?.deviceId;
      if (input.deviceId === self)
        throw extError(ExtErrorCode.LINK_NOT_RUNNING, 'Remove this browser from another device');
      deviceServices(ctx).verification.take();
      await ctx.client.signedDeviceList.remove(input.deviceId);
      await deviceServices(ctx).notices.dismiss(input.deviceId);
      ctx.shell.deps.emit({ type: 'devices' });
      return null;
    },
  }),

  /**
   * "Remove and reset identity", for a stolen device: a new account identity
   * with this browser alone; the relay revokes every other device. Needs a
   * fresh verification (its passkey login session is what the relay demands).
   */
  resetIdentity: request({
    input: none,
    unlocked: true,
    run: async (ctx): Promise<null> => {
      const { links, verification, notices } = deviceServices(ctx);
      const { session } = verification.take();
      links.cancel();
      await ctx.runtime.resetIdentity(session);
      // The devices the notices name are gone with the old identity.
      for (const n of await notices.list()) await notices.dismiss(n.deviceId);
      ctx.shell.deps.emit({ type: 'devices' });
      await ctx.shell.publishStatus();
      return null;
    },
  }),

  listDeviceNotices: request({
    input: none,
    unlocked: false,
    run: (ctx): Promise<DeviceNotice[]> => deviceServices(ctx).notices.list(),
  }),

  dismissDeviceNotice: request({
    input: v.strictObject({ deviceId }),
    unlocked: false,
    run: async (ctx, input): Promise<null> => {
      await deviceServices(ctx).notices.dismiss(input.deviceId);
      ctx.shell.deps.emit({ type: 'devices' });
      return null;
    },
  }),
};
