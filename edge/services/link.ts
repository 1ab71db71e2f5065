/**
 * The linking rendezvous (docs/protocol.md, "Linking a device"; docs/wire.md,
 * "Linking"): an anonymous mailbox with two sides, `new` and `existing`, each
 * an ordered list of opaque messages. The relay cannot read them and does not
 * need to: the protocol's security rests on the code the user carries between
 * the devices. The relay's part is hygiene: short life (5 min), small
 * messages, few of them, and a strike counter so a guessed code dies after
 * three failed confirmations.
 */
import { type Bytes, toBase64Url } from '../../shared/bytes.ts';
import { ErrorCode, ParleyError } from '../../shared/errors.ts';
import {
  LINK_CODE_ALPHABET,
  LINK_LOCATOR_CHARS,
  LINK_MAX_STRIKES,
  LINK_MESSAGES_PER_SIDE,
  LINK_RENDEZVOUS_TTL_MS,
  OPAQUE_ID_BYTES,
} from '../../shared/wire/limits.ts';
import type {
  LinkMessagesResponse,
  LinkSide,
  LinkStrikeResponse,
  RendezvousCreatedResponse,
  RendezvousFoundResponse,
} from '../../shared/wire/rest-link.ts';
import {
  addStrike,
  appendMessage,
  deleteRendezvous,
  findByLocator,
  findRendezvous,
  insertRendezvous,
  messagesAfter,
  type RendezvousRow,
} from '../db/link.ts';
import type { Db } from '../db/open.ts';

/** Locator draws before giving up (32^4 = 1 048 576 locators; collisions need a million live rendezvous). */
const LOCATOR_ATTEMPTS = 8;

export interface LinkServiceDeps {
  readonly db: Db;
  readonly now: () => number;
  readonly random: (n: number) => Bytes;
}

function gone(): ParleyError {
  return new ParleyError(ErrorCode.NOT_FOUND, 'No such linking rendezvous (expired or finished)', {
    what: 'rendezvous',
  });
}

/** A uniformly drawn locator: each random byte's low 5 bits pick a character (32 | 256). */
export function randomLocator(random: (n: number) => Bytes): string {
  let out = '';
  for (const b of random(LINK_LOCATOR_CHARS)) out += LINK_CODE_ALPHABET[b & 31];
  return out;
}

export class LinkService {
  readonly #d: LinkServiceDeps;

  constructor(deps: LinkServiceDeps) {
    this.#d = deps;
  }

  async create(): Promise<RendezvousCreatedResponse> {
    const { db, now, random } = this.#d;
    for (let attempt = 0; attempt < LOCATOR_ATTEMPTS; attempt++) {
      const at = now();
      const row = {
        id: toBase64Url(random(OPAQUE_ID_BYTES)),
        locator: randomLocator(random),
        createdAt: at,
        expiresAt: at + LINK_RENDEZVOUS_TTL_MS,
      };
      if (await insertRendezvous(db, row, at))
        return { rid: row.id, locator: row.locator, expiresAt: row.expiresAt };
    }
    throw new ParleyError(ErrorCode.RATE_LIMITED, 'Too many linking rendezvous are open', {
      what: 'rendezvous',
    });
  }

  async find(locator: string): Promise<RendezvousFoundResponse> {
    const row = await this.#live(await findByLocator(this.#d.db, locator));
    return { rid: row.id, expiresAt: row.expiresAt };
  }

  async post(rid: string, side: LinkSide, body: Uint8Array): Promise<{ seq: number }> {
    await this.#live(await findRendezvous(this.#d.db, rid));
    const seq = await appendMessage(this.#d.db, rid, side, body, LINK_MESSAGES_PER_SIDE);
    if (seq === undefined)
      throw new ParleyError(ErrorCode.QUEUE_FULL, 'This side of the rendezvous is full', {
        what: 'rendezvous',
      });
    return { seq };
  }

  async read(rid: string, side: LinkSide, after: number): Promise<LinkMessagesResponse> {
    await this.#live(await findRendezvous(this.#d.db, rid));
    const rows = await messagesAfter(this.#d.db, rid, side, after);
    return { messages: rows.map((r) => ({ seq: r.seq, body: Uint8Array.from(r.body) })) };
  }

  /** A failed key confirmation: the third one deletes the rendezvous, so its code is dead. */
  async strike(rid: string): Promise<LinkStrikeResponse> {
    await this.#live(await findRendezvous(this.#d.db, rid));
    const strikes = await addStrike(this.#d.db, rid);
    if (strikes === undefined) throw gone();
    const alive = strikes < LINK_MAX_STRIKES;
    if (!alive) await deleteRendezvous(this.#d.db, rid);
    return { strikes: Math.min(strikes, LINK_MAX_STRIKES), alive };
  }

  async close(rid: string): Promise<void> {
    await deleteRendezvous(this.#d.db, rid);
  }

  /** Expired rows read as gone (the sweeper deletes them later). */
  async #live(row: RendezvousRow | undefined): Promise<RendezvousRow> {
    if (row === undefined) throw gone();
    if (row.expiresAt <= this.#d.now()) {
      await deleteRendezvous(this.#d.db, row.id);
      throw gone();
    }
    return row;
  }
}
