/**
 * Load-generator clients for the three systems, all on the same `ws`
 * client library so the client side costs about the same per message:
 *  - parley: the relay's real protocol (CBOR frames, challenge signed with
 *    the device's real Ed25519 key, acks after delivery);
 *  - ws: the same CBOR frames against the bare `ws` reference server (which
 *    checks no signature and persists nothing);
 *  - socketio: Socket.IO's own wire protocol (Engine.IO 4 / Socket.IO 5)
 *    spoken directly: `40{auth}` connect, `42<ack>["send",{...}]` events,
 *    `43<ack>[...]` acknowledgements, `3` answering the server's `2` ping.
 *    Bodies travel base64 in the JSON event (one text frame per message,
 *    cheaper for Socket.IO than a binary attachment, which costs a second
 *    frame).
 * The first 8 bytes of every 300-byte body carry the send time (ms, float64,
 * performance.timeOrigin-based, comparable across processes on one machine);
 * the rest is random and opaque, as ciphertext would be.
 */
import { decode, Encoder } from 'cbor-x';
import WebSocket from 'ws';
import { importSigningPrivate } from '../../shared/crypto/ed25519.ts';
import { createAuthFrame, createUnlockFrame } from '../../shared/wire/device-auth.ts';

export type Protocol = 'parley' | 'ws' | 'socketio';

/**
 * Client frames are built with their keys already in canonical order and
 * encoded with the relay's CBOR options (no records, no tags) but without
 * the shared encoder's sorting pass and copy: the load generator should cost
 * as little per message as Socket.IO's string building does.
 */
const cbor = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
  useFloat32: 0,
});
// cbor-x hands out views into a buffer it reuses, and ws may still hold a frame: copy.
const encodeFrame = (frame: Record<string, unknown>): Uint8Array =>
  Uint8Array.prototype.slice.call(cbor.encode(frame));

export interface Peer {
  readonly userId: string;
  readonly deviceId: number;
}

export interface ClientSpec extends Peer {
  readonly url: string;
  /** Hex Ed25519 seed (parley only). */
  readonly seedHex?: string;
  /** Hex Ed25519 seed of the account's identity key: signs `unlock` so the socket may send (parley only). */
  readonly identitySeedHex?: string;
}

export interface Hooks {
  /** A send of this client was acknowledged by the server (`stored`, or Socket.IO's ack). */
  stored(client: BenchClient): void;
  /** A message reached this client; `sentAt` is the sender's clock value from the body. */
  delivered(sentAt: number): void;
  /** The socket closed (unexpectedly, unless the run is over). */
  closed(client: BenchClient, code: number): void;
}

export const BODY_BYTES = 300;

export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A fresh body: the send time, then random filler. */
export function makeBody(filler: Uint8Array): Uint8Array {
  const body = new Uint8Array(BODY_BYTES);
  body.set(filler.subarray(0, BODY_BYTES - 8), 8);
  new DataView(body.buffer).setFloat64(0, now());
  return body;
}

function sentAtOf(body: Uint8Array): number {
  return new DataView(body.buffer, body.byteOffset, body.byteLength).getFloat64(0);
}

export interface BenchClient {
  readonly spec: ClientSpec;
  connect(): Promise<void>;
  send(to: Peer, body: Uint8Array): void;
  ping(): void;
  /** Sends pending acknowledgements (parley); a no-op elsewhere. */
  flushAcks(): void;
  close(): void;
}

/** parley and ws: the relay's CBOR frames. */
class CborClient implements BenchClient {
  readonly spec: ClientSpec;
  readonly #hooks: Hooks;
  readonly #sign: boolean;
  #socket: WebSocket | undefined;
  #counter = 0;
  #acks: number[] = [];
  #n = 0;

  constructor(spec: ClientSpec, hooks: Hooks, sign: boolean) {
    this.spec = spec;
    this.#hooks = hooks;
    this.#sign = sign;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.spec.url, { perMessageDeflate: false });
      this.#socket = socket;
      let ready = false;
      socket.binaryType = 'nodebuffer';
      socket.on('error', (error) => {
        if (!ready) reject(error);
      });
      socket.on('close', (code) => {
        if (!ready) reject(new Error(`closed ${code} before ready`));
        else this.#hooks.closed(this, code);
      });
      socket.on('message', (data: Buffer) => {
        const frame = decode(data) as { t: string; [k: string]: unknown };
        switch (frame.t) {
          case 'deliver': {
            if (typeof frame.qid === 'number') this.#acks.push(frame.qid);
            this.#hooks.delivered(sentAtOf(frame.body as Uint8Array));
            return;
          }
          case 'stored':
            this.#hooks.stored(this);
            return;
          case 'challenge':
            void this.#auth(frame.nonce as Uint8Array).catch(reject);
            return;
          case 'ready':
            ready = true;
            resolve();
            return;
          case 'error':
            if (!ready) reject(new Error(`error frame ${String(frame.code)}`));
            return;
        }
      });
    });
  }

  async #auth(nonce: Uint8Array): Promise<void> {
    const { userId, deviceId, seedHex } = this.spec;
    const frame =
      this.#sign && seedHex !== undefined
        ? await createAuthFrame(
            await importSigningPrivate(Buffer.from(seedHex, 'hex'), false),
            nonce,
            userId,
            deviceId,
          )
        : { t: 'auth', user: userId, device: deviceId, signature: new Uint8Array(64) };
    const { identitySeedHex } = this.spec;
    // Sent right behind `auth` (before `ready` can come): the device key alone is receive-only.
    const unlock =
      this.#sign && identitySeedHex !== undefined
        ? await createUnlockFrame(
            await importSigningPrivate(Buffer.from(identitySeedHex, 'hex'), false),
            nonce,
            userId,
            deviceId,
          )
        : undefined;
    this.#socket?.send(encodeFrame(frame));
    if (unlock !== undefined) this.#socket?.send(encodeFrame(unlock));
  }

  send(to: Peer, body: Uint8Array): void {
    const id = new Uint8Array(16);
    const view = new DataView(id.buffer);
    view.setUint32(0, this.spec.deviceId);
    view.setFloat64(8, ++this.#counter);
    this.#socket?.send(
      encodeFrame({
        t: 'send',
        id,
        to: [{ user: to.userId, devices: [{ body, device: to.deviceId }] }],
      }),
    );
  }

  ping(): void {
    this.#socket?.send(encodeFrame({ n: ++this.#n, t: 'ping' }));
  }

  flushAcks(): void {
    if (this.#acks.length === 0) return;
    const qids = this.#acks;
    this.#acks = [];
    if (this.#socket?.readyState === WebSocket.OPEN)
      this.#socket.send(encodeFrame({ t: 'ack', qids }));
  }

  close(): void {
    this.#socket?.terminate();
  }
}

/** Socket.IO 4 over its raw protocol (websocket transport only). */
class SocketIoClient implements BenchClient {
  readonly spec: ClientSpec;
  readonly #hooks: Hooks;
  #socket: WebSocket | undefined;
  #ackId = 0;
  #counter = 0;

  constructor(spec: ClientSpec, hooks: Hooks) {
    this.spec = spec;
    this.#hooks = hooks;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(`${this.spec.url}/socket.io/?EIO=4&transport=websocket`, {
        perMessageDeflate: false,
      });
      this.#socket = socket;
      let ready = false;
      socket.on('error', (error) => {
        if (!ready) reject(error);
      });
      socket.on('close', (code) => {
        if (!ready) reject(new Error(`closed ${code} before ready`));
        else this.#hooks.closed(this, code);
      });
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) return;
        const text = data.toString('utf8');
        const type = text.charCodeAt(0);
        if (type === 0x34 /* 4: message */) {
          const packet = text.charCodeAt(1);
          if (packet === 0x32 /* 2: event */) {
            const [, payload] = JSON.parse(text.slice(2)) as [string, { body: string }];
            this.#hooks.delivered(sentAtOf(Buffer.from(payload.body.slice(0, 12), 'base64')));
          } else if (packet === 0x33 /* 3: ack */) {
            this.#hooks.stored(this);
          } else if (packet === 0x30 /* 0: connect */) {
            ready = true;
            resolve();
          } else if (packet === 0x34 /* 4: connect error */) {
            reject(new Error(`socket.io connect error ${text}`));
          }
        } else if (type === 0x32 /* 2: ping */) {
          socket.send('3');
        } else if (type === 0x30 /* 0: open */) {
          socket.send(`40${JSON.stringify({ user: this.spec.userId })}`);
        }
      });
    });
  }

  send(to: Peer, body: Uint8Array): void {
    const id = Buffer.alloc(16);
    id.writeUInt32BE(this.spec.deviceId, 0);
    id.writeDoubleBE(++this.#counter, 8);
    this.#socket?.send(
      `42${++this.#ackId}["send",{"to":"${to.userId}","id":"${id.toString('base64')}","body":"${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64')}"}]`,
    );
  }

  ping(): void {
    // The server pings (Engine.IO `2`); the client only answers.
  }

  flushAcks(): void {}

  close(): void {
    this.#socket?.terminate();
  }
}

export function createClient(protocol: Protocol, spec: ClientSpec, hooks: Hooks): BenchClient {
  switch (protocol) {
    case 'parley':
      return new CborClient(spec, hooks, true);
    case 'ws':
      return new CborClient(spec, hooks, false);
    case 'socketio':
      return new SocketIoClient(spec, hooks);
  }
}
