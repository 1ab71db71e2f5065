import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { clientFrameSchemas, serverFrameSchemas } from './frames.ts';
import { summarizeIssue } from './issues.ts';
import {
  ACK_MAX_QIDS,
  DEVICE_ID_MAX,
  ERROR_MESSAGE_MAX_CHARS,
  MAX_DEVICES_PER_USER,
  MESSAGE_BODY_MAX_BYTES,
  RETRY_AFTER_MAX_MS,
  SEND_MAX_RECIPIENT_USERS,
  TIMESTAMP_MAX,
  TRANSIENT_BODY_MAX_BYTES,
} from './limits.ts';
import { ALICE, BOB, sampleClientFrames, sampleServerFrames, seq } from './testing/samples.ts';

type Table = Readonly<Record<string, v.GenericSchema<unknown, unknown>>>;
const schemas: Table = { ...clientFrameSchemas, ...serverFrameSchemas };

function check(
  frame: Record<string, unknown>,
): { ok: true } | { ok: false; path: string; reason: string } {
  const schema = schemas[frame.t as string];
  if (schema === undefined) throw new Error(`no schema for ${String(frame.t)}`);
  const result = v.safeParse(schema, frame, { abortEarly: true });
  return result.success ? { ok: true } : { ok: false, ...summarizeIssue(result.issues[0]) };
}

const sample = (name: string): Record<string, unknown> => {
  const frame = sampleClientFrames[name] ?? sampleServerFrames[name];
  if (frame === undefined) throw new Error(name);
  return structuredClone(frame) as Record<string, unknown>;
};

const users = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    user: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    devices: [{ device: 1, body: seq(4) }],
  }));

describe('every sample frame is valid', () => {
  it.each([...Object.keys(sampleClientFrames), ...Object.keys(sampleServerFrames)])(
    '%s',
    (name) => {
      expect(check(sample(name))).toEqual({ ok: true });
    },
  );
});

describe('every field is required unless documented optional', () => {
  const optional = new Set([
    'send.body',
    'send.expiresAt',
    'send.transient',
    'deliver.qid',
    'deliver.expiresAt',
    'error.ref',
    'error.retryAfterMs',
  ]);
  const cases: [string, string][] = [];
  for (const name of [...Object.keys(sampleClientFrames), ...Object.keys(sampleServerFrames)]) {
    const frame = sample(name);
    for (const key of Object.keys(frame)) {
      if (key !== 't' && !optional.has(`${String(frame.t)}.${key}`)) cases.push([name, key]);
    }
  }
  it.each(cases)('%s without %s', (name, key) => {
    const frame = sample(name);
    delete frame[key];
    expect(check(frame)).toEqual({ ok: false, path: key, reason: 'missing_field' });
  });
});

describe('unknown fields are rejected at every level', () => {
  it.each(Object.keys(sampleClientFrames).concat(Object.keys(sampleServerFrames)))(
    '%s + extra',
    (name) => {
      expect(check({ ...sample(name), extra: 1 })).toEqual({
        ok: false,
        path: 'extra',
        reason: 'unknown_field',
      });
    },
  );
  it('inside send recipients and devices', () => {
    const frame = sample('send (per-device bodies)');
    (frame.to as Record<string, unknown>[])[1] = {
      user: ALICE,
      devices: [{ device: 2, body: seq(3), x: 1 }],
    };
    expect(check(frame)).toEqual({
      ok: false,
      path: 'to[1].devices[0].x',
      reason: 'unknown_field',
    });
    const other = sample('send (per-device bodies)');
    (other.to as Record<string, unknown>[])[0] = {
      user: BOB,
      devices: [{ device: 1, body: seq(3) }],
      cc: [],
    };
    expect(check(other)).toEqual({ ok: false, path: 'to[0].cc', reason: 'unknown_field' });
  });
  it('does not print attacker-chosen key names', () => {
    expect(check({ ...sample('ping'), 'bad key\n<script>': 1 })).toEqual({
      ok: false,
      path: '?',
      reason: 'unknown_field',
    });
  });
});

type Mutation = [
  name: string,
  frame: string,
  mutate: (f: Record<string, unknown>) => void,
  path: string,
  reason: string,
];

function device(f: Record<string, unknown>, user: number, index: number): Record<string, unknown> {
  const found = to(f)[user]?.devices[index];
  if (found === undefined) throw new Error('no such device in the sample');
  return found;
}

const to = (f: Record<string, unknown>) =>
  f.to as { user: string; devices: Record<string, unknown>[] }[];

const rejections: Mutation[] = [
  // auth
  [
    'uppercase user id',
    'auth',
    (f) => {
      f.user = ALICE.toUpperCase();
    },
    'user',
    'regex',
  ],
  [
    'user id without dashes',
    'auth',
    (f) => {
      f.user = ALICE.replaceAll('-', '').padEnd(36, '0');
    },
    'user',
    'regex',
  ],
  [
    'user id as bytes',
    'auth',
    (f) => {
      f.user = seq(36);
    },
    'user',
    'wrong_type',
  ],
  [
    'device 0',
    'auth',
    (f) => {
      f.device = 0;
    },
    'device',
    'min_value',
  ],
  [
    'device above the cap',
    'auth',
    (f) => {
      f.device = DEVICE_ID_MAX + 1;
    },
    'device',
    'max_value',
  ],
  [
    'fractional device',
    'auth',
    (f) => {
      f.device = 1.5;
    },
    'device',
    'safe_integer',
  ],
  [
    'device as text',
    'auth',
    (f) => {
      f.device = '1';
    },
    'device',
    'wrong_type',
  ],
  [
    '63-byte signature',
    'auth',
    (f) => {
      f.signature = seq(63);
    },
    'signature',
    'length',
  ],
  [
    'signature as text',
    'auth',
    (f) => {
      f.signature = 'AAAA';
    },
    'signature',
    'wrong_type',
  ],
  // send
  [
    '15-byte id',
    'send (per-device bodies)',
    (f) => {
      f.id = seq(15);
    },
    'id',
    'length',
  ],
  [
    'no recipients',
    'send (per-device bodies)',
    (f) => {
      f.to = [];
    },
    'to',
    'min_length',
  ],
  [
    'too many recipients',
    'send (per-device bodies)',
    (f) => {
      f.to = users(SEND_MAX_RECIPIENT_USERS + 1);
    },
    'to',
    'max_length',
  ],
  [
    'the same user twice',
    'send (per-device bodies)',
    (f) => {
      to(f).push({ ...structuredClone(to(f)[0] as object), user: BOB } as never);
    },
    'to[2]',
    'duplicate',
  ],
  [
    'too many devices',
    'send (per-device bodies)',
    (f) => {
      (to(f)[0] as { devices: unknown[] }).devices = Array.from(
        { length: MAX_DEVICES_PER_USER + 1 },
        (_, i) => ({ device: i + 1, body: seq(2) }),
      );
    },
    'to[0].devices',
    'max_length',
  ],
  [
    'the same device twice',
    'send (per-device bodies)',
    (f) => {
      to(f)[0]?.devices.push({ device: 1, body: seq(3) });
    },
    'to[0].devices[2]',
    'duplicate',
  ],
  [
    'an empty body',
    'send (per-device bodies)',
    (f) => {
      device(f, 1, 0).body = new Uint8Array(0);
    },
    'to[1].devices[0].body',
    'min_length',
  ],
  [
    'an oversized body',
    'send (per-device bodies)',
    (f) => {
      device(f, 0, 1).body = new Uint8Array(MESSAGE_BODY_MAX_BYTES + 1);
    },
    'to[0].devices[1].body',
    'max_length',
  ],
  [
    'an oversized shared body',
    'send (shared body, expiring)',
    (f) => {
      f.body = new Uint8Array(MESSAGE_BODY_MAX_BYTES + 1);
    },
    'body',
    'max_length',
  ],
  [
    'a device without any body',
    'send (per-device bodies)',
    (f) => {
      delete device(f, 1, 0).body;
    },
    'to[1].devices[0].body',
    'missing_field',
  ],
  [
    'shared body removed',
    'send (shared body, expiring)',
    (f) => {
      delete f.body;
    },
    'to[0].devices[0].body',
    'missing_field',
  ],
  [
    'transient with expiry',
    'send (transient)',
    (f) => {
      f.expiresAt = 1;
    },
    'expiresAt',
    'not_with_transient',
  ],
  [
    'a transient body over the transient cap',
    'send (transient)',
    (f) => {
      device(f, 0, 0).body = new Uint8Array(TRANSIENT_BODY_MAX_BYTES + 1);
    },
    'to',
    'transient_body_size',
  ],
  [
    'a transient shared body over the transient cap',
    'send (transient)',
    (f) => {
      delete device(f, 0, 0).body;
      f.body = new Uint8Array(TRANSIENT_BODY_MAX_BYTES + 1);
    },
    'to',
    'transient_body_size',
  ],
  [
    'transient as 1',
    'send (transient)',
    (f) => {
      f.transient = 1;
    },
    'transient',
    'wrong_type',
  ],
  [
    'negative expiresAt',
    'send (shared body, expiring)',
    (f) => {
      f.expiresAt = -1;
    },
    'expiresAt',
    'min_value',
  ],
  [
    'expiresAt beyond Date',
    'send (shared body, expiring)',
    (f) => {
      f.expiresAt = TIMESTAMP_MAX + 1;
    },
    'expiresAt',
    'max_value',
  ],
  [
    'null expiresAt',
    'send (shared body, expiring)',
    (f) => {
      f.expiresAt = null;
    },
    'expiresAt',
    'wrong_type',
  ],
  // ack, ping
  [
    'no qids',
    'ack',
    (f) => {
      f.qids = [];
    },
    'qids',
    'min_length',
  ],
  [
    'too many qids',
    'ack',
    (f) => {
      f.qids = Array.from({ length: ACK_MAX_QIDS + 1 }, (_, i) => i + 1);
    },
    'qids',
    'max_length',
  ],
  [
    'qid 0',
    'ack',
    (f) => {
      f.qids = [1, 0];
    },
    'qids[1]',
    'min_value',
  ],
  [
    'unsafe qid',
    'ack',
    (f) => {
      f.qids = [2 ** 53];
    },
    'qids[0]',
    'safe_integer',
  ],
  [
    'negative ping',
    'ping',
    (f) => {
      f.n = -1;
    },
    'n',
    'min_value',
  ],
  [
    'ping above u32',
    'ping',
    (f) => {
      f.n = 2 ** 32;
    },
    'n',
    'max_value',
  ],
  // relay frames
  [
    '31-byte nonce',
    'challenge',
    (f) => {
      f.nonce = seq(31);
    },
    'nonce',
    'length',
  ],
  [
    'negative queued',
    'ready',
    (f) => {
      f.queued = -1;
    },
    'queued',
    'min_value',
  ],
  [
    'an empty mismatch entry',
    'mismatch',
    (f) => {
      f.users = [{ user: BOB, missing: [], extra: [], stale: [] }];
    },
    'users[0]',
    'check',
  ],
  [
    'no mismatch entries',
    'mismatch',
    (f) => {
      f.users = [];
    },
    'users',
    'min_length',
  ],
  [
    'duplicate missing ids',
    'mismatch',
    (f) => {
      f.users = [{ user: BOB, missing: [3, 3], extra: [], stale: [] }];
    },
    'users[0].missing[1]',
    'duplicate',
  ],
  [
    'too many missing ids',
    'mismatch',
    (f) => {
      f.users = [
        {
          user: BOB,
          missing: Array.from({ length: MAX_DEVICES_PER_USER + 1 }, (_, i) => i + 1),
          extra: [],
          stale: [],
        },
      ];
    },
    'users[0].missing',
    'max_length',
  ],
  [
    'qid 0 in deliver',
    'deliver',
    (f) => {
      f.qid = 0;
    },
    'qid',
    'min_value',
  ],
  [
    'empty delivered body',
    'deliver',
    (f) => {
      f.body = new Uint8Array(0);
    },
    'body',
    'min_length',
  ],
  [
    'from device 0',
    'deliver',
    (f) => {
      f.fromDevice = 0;
    },
    'fromDevice',
    'min_value',
  ],
  [
    'lowercase error code',
    'error',
    (f) => {
      f.code = 'rate_limited';
    },
    'code',
    'regex',
  ],
  [
    'long error message',
    'error',
    (f) => {
      f.message = 'x'.repeat(ERROR_MESSAGE_MAX_CHARS + 1);
    },
    'message',
    'max_length',
  ],
  [
    'retryAfterMs above a day',
    'error',
    (f) => {
      f.retryAfterMs = RETRY_AFTER_MAX_MS + 1;
    },
    'retryAfterMs',
    'max_value',
  ],
  [
    'ref of 17 bytes',
    'error',
    (f) => {
      f.ref = seq(17);
    },
    'ref',
    'length',
  ],
];

describe('field checks', () => {
  it.each(rejections)('rejects %s', (_, name, mutate, path, reason) => {
    const frame = sample(name);
    mutate(frame);
    expect(check(frame)).toEqual({ ok: false, path, reason });
  });

  it('accepts the caps themselves', () => {
    const send = sample('send (per-device bodies)');
    send.to = users(SEND_MAX_RECIPIENT_USERS);
    expect(check(send)).toEqual({ ok: true });
    const big = sample('send (shared body, expiring)');
    big.body = new Uint8Array(MESSAGE_BODY_MAX_BYTES);
    big.expiresAt = TIMESTAMP_MAX;
    expect(check(big)).toEqual({ ok: true });
    const auth = sample('auth');
    auth.device = DEVICE_ID_MAX;
    expect(check(auth)).toEqual({ ok: true });
    expect(
      check({ t: 'ack', qids: Array.from({ length: ACK_MAX_QIDS }, (_, i) => i + 1) }),
    ).toEqual({ ok: true });
    expect(
      check({
        t: 'send',
        id: seq(16),
        to: [{ user: BOB, devices: [{ device: 1, body: seq(1) }] }],
        transient: false,
        expiresAt: 5,
      }),
    ).toEqual({ ok: true });
  });

  it('accepts an account named with no devices (the relay lists its devices as missing)', () => {
    const send = sample('send (per-device bodies)');
    (to(send)[0] as { devices: unknown[] }).devices = [];
    expect(check(send)).toEqual({ ok: true });
    const shared = sample('send (shared body, expiring)');
    shared.to = [{ user: ALICE, devices: [] }];
    expect(check(shared)).toEqual({ ok: true });
  });

  it('lets a shared body and per-device bodies mix (a device body overrides)', () => {
    const frame = sample('send (shared body, expiring)');
    device(frame, 0, 0).body = seq(5);
    expect(check(frame)).toEqual({ ok: true });
  });
});
