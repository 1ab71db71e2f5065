/**
 * Deterministic sample frames of every type, shared by the Node and Deno
 * tests (vectors/frames.json holds their expected encodings).
 */
import type { ClientFrame, ServerFrame } from '../frames.ts';

/** `length` bytes counting up from `start` (mod 256): recognisable in hex dumps. */
export function seq(length: number, start = 0): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (start + i) & 0xff;
  return out;
}

export const ALICE = '0190f8a2-4c1e-7b3a-9d2e-5f6a7b8c9d0e';
export const BOB = 'c2a4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f';
export const CAROL = '7d3c2b1a-0f9e-4d8c-b7a6-958473625140';
export const T0 = 1_763_900_000_000; // 2025-11-23, above 2^32: exercises 64-bit integers

export const sampleClientFrames: Record<string, ClientFrame> = {
  auth: { t: 'auth', user: ALICE, device: 1, signature: seq(64, 0x40) },
  unlock: { t: 'unlock', signature: seq(64, 0x50) },
  'send (per-device bodies)': {
    t: 'send',
    id: seq(16, 0x10),
    to: [
      {
        user: BOB,
        devices: [
          { device: 1, body: seq(40, 1) },
          { device: 2, body: seq(41, 2) },
        ],
      },
      { user: ALICE, devices: [{ device: 2, body: seq(42, 3) }] },
    ],
  },
  'send (shared body, expiring)': {
    t: 'send',
    id: seq(16, 0x20),
    to: [
      { user: BOB, devices: [{ device: 1 }] },
      { user: CAROL, devices: [{ device: 7 }, { device: 2_147_483_647 }] },
    ],
    body: seq(300, 9),
    expiresAt: T0 + 30_000,
  },
  'send (transient)': {
    t: 'send',
    id: seq(16, 0x30),
    to: [{ user: BOB, devices: [{ device: 1, body: seq(20) }] }],
    transient: true,
  },
  ack: { t: 'ack', qids: [1, 2, 4_294_967_296, Number.MAX_SAFE_INTEGER] },
  ping: { t: 'ping', n: 4_294_967_295 },
};

export const sampleServerFrames: Record<string, ServerFrame> = {
  challenge: { t: 'challenge', nonce: seq(32, 0xa0), serverTime: T0 },
  ready: { t: 'ready', user: ALICE, device: 1, queued: 3, oneTimePreKeys: 97 },
  stored: { t: 'stored', id: seq(16, 0x10), serverTime: T0 + 1 },
  mismatch: {
    t: 'mismatch',
    id: seq(16, 0x10),
    users: [
      { user: BOB, missing: [3], extra: [], stale: [2] },
      { user: CAROL, missing: [], extra: [9, 10], stale: [] },
    ],
  },
  deliver: {
    t: 'deliver',
    qid: 42,
    id: seq(16, 0x10),
    from: ALICE,
    fromDevice: 1,
    body: seq(40, 1),
    sentAt: T0 + 2,
    expiresAt: T0 + 30_000,
  },
  'deliver (transient)': {
    t: 'deliver',
    id: seq(16, 0x30),
    from: ALICE,
    fromDevice: 1,
    body: seq(20),
    sentAt: T0 + 3,
  },
  drained: { t: 'drained' },
  pong: { t: 'pong', n: 0 },
  error: {
    t: 'error',
    code: 'RATE_LIMITED',
    message: 'Too many frames',
    ref: seq(16, 0x10),
    retryAfterMs: 1500,
  },
};
