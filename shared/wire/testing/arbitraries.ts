/**
 * fast-check arbitraries producing valid frames of every type (within the
 * caps of limits.ts, but kept small so properties run quickly).
 */
import fc from 'fast-check';
import type { ClientFrame, ServerFrame } from '../frames.ts';
import {
  ACK_MAX_QIDS,
  DEVICE_ID_MAX,
  ERROR_MESSAGE_MAX_CHARS,
  MAX_DEVICES_PER_USER,
  RETRY_AFTER_MAX_MS,
  TIMESTAMP_MAX,
} from '../limits.ts';

const bytes = (length: number) =>
  fc.uint8Array({ minLength: length, maxLength: length }).map(plain);
const body = fc.uint8Array({ minLength: 1, maxLength: 200 }).map(plain);

/** fc.record builds null-prototype objects; decoded frames are plain objects. */
function plainObjects<T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return arb.map((o) => ({ ...o }));
}

/** fast-check may hand out views; frames hold plain, ArrayBuffer-backed arrays. */
function plain(a: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length);
  out.set(a);
  return out;
}

export const userIdArb = fc.uuid().map((u) => u.toLowerCase());
export const deviceIdArb = fc.oneof(
  fc.integer({ min: 1, max: 20 }),
  fc.integer({ min: 1, max: DEVICE_ID_MAX }),
);
export const timestampArb = fc.oneof(
  fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
  fc.integer({ min: 0, max: TIMESTAMP_MAX }),
);
const uint32 = fc.integer({ min: 0, max: 0xffff_ffff });
const qid = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
const deviceList = fc.uniqueArray(deviceIdArb, { maxLength: MAX_DEVICES_PER_USER });

const authArb = plainObjects(
  fc.record({
    t: fc.constant('auth' as const),
    user: userIdArb,
    device: deviceIdArb,
    signature: bytes(64),
  }),
);

const sendArb = fc
  .record({
    id: bytes(16),
    shared: fc.option(body, { nil: undefined }),
    expiresAt: fc.option(timestampArb, { nil: undefined }),
    transient: fc.option(fc.boolean(), { nil: undefined }),
    users: fc.uniqueArray(userIdArb, { minLength: 1, maxLength: 6 }),
    devices: fc.array(
      fc.uniqueArray(deviceIdArb, { minLength: 1, maxLength: MAX_DEVICES_PER_USER }),
      {
        minLength: 6,
        maxLength: 6,
      },
    ),
    bodies: fc.array(fc.option(body, { nil: undefined }), { minLength: 48, maxLength: 48 }),
  })
  .map(({ id, shared, expiresAt, transient, users, devices, bodies }): ClientFrame => {
    let k = 0;
    const to = users.map((user, i) => ({
      user,
      devices: (devices[i] ?? [1]).map((device) => {
        const own =
          bodies[k++ % bodies.length] ??
          (shared === undefined ? new Uint8Array([k & 0xff]) : undefined);
        return own === undefined ? { device } : { device, body: own };
      }),
    }));
    return {
      t: 'send',
      id,
      to,
      ...(shared === undefined ? {} : { body: shared }),
      ...(expiresAt === undefined || transient === true ? {} : { expiresAt }),
      ...(transient === undefined ? {} : { transient }),
    };
  });

const ackArb = plainObjects(
  fc.record({
    t: fc.constant('ack' as const),
    qids: fc.array(qid, { minLength: 1, maxLength: Math.min(ACK_MAX_QIDS, 40) }),
  }),
);

const pingArb = plainObjects(fc.record({ t: fc.constant('ping' as const), n: uint32 }));
const unlockArb = plainObjects(
  fc.record({ t: fc.constant('unlock' as const), signature: bytes(64) }),
);

export const clientFrameArb: fc.Arbitrary<ClientFrame> = fc.oneof(
  authArb,
  unlockArb,
  sendArb,
  ackArb,
  pingArb,
);

const mismatchUserArb = plainObjects(
  fc.record({ user: userIdArb, missing: deviceList, extra: deviceList, stale: deviceList }),
).filter((u) => u.missing.length + u.extra.length + u.stale.length > 0);

export const serverFrameArb: fc.Arbitrary<ServerFrame> = fc.oneof(
  plainObjects(
    fc.record({ t: fc.constant('challenge' as const), nonce: bytes(32), serverTime: timestampArb }),
  ),
  plainObjects(
    fc.record({
      t: fc.constant('ready' as const),
      user: userIdArb,
      device: deviceIdArb,
      queued: fc.nat(),
      oneTimePreKeys: uint32,
    }),
  ),
  plainObjects(
    fc.record({ t: fc.constant('stored' as const), id: bytes(16), serverTime: timestampArb }),
  ),
  plainObjects(
    fc.record({
      t: fc.constant('mismatch' as const),
      id: bytes(16),
      users: fc.uniqueArray(mismatchUserArb, {
        minLength: 1,
        maxLength: 5,
        selector: (u) => u.user,
      }),
    }),
  ),
  plainObjects(
    fc.record(
      {
        t: fc.constant('deliver' as const),
        qid,
        id: bytes(16),
        from: userIdArb,
        fromDevice: deviceIdArb,
        body,
        sentAt: timestampArb,
        expiresAt: timestampArb,
      },
      { requiredKeys: ['t', 'id', 'from', 'fromDevice', 'body', 'sentAt'] },
    ),
  ),
  fc.constant({ t: 'drained' as const }),
  plainObjects(fc.record({ t: fc.constant('pong' as const), n: uint32 })),
  plainObjects(
    fc.record(
      {
        t: fc.constant('error' as const),
        code: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,30}$/),
        message: fc.string({ maxLength: ERROR_MESSAGE_MAX_CHARS }),
        ref: bytes(16),
        retryAfterMs: fc.integer({ min: 0, max: RETRY_AFTER_MAX_MS }),
      },
      { requiredKeys: ['t', 'code', 'message'] },
    ),
  ),
);
