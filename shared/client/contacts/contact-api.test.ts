// Block-list reconciliation (docs/wire.md, "Authentication"): when the account becomes usable
// the relay's block list and this device's contacts are made to agree. The
// relay is a stand-in here (a pure unit test of the rule); the real relay's
// side is in edge/routes/management.process.test.ts.
import { describe, expect, it } from 'vitest';
import { Emitter } from '../events.ts';
import { transactOn } from '../host.ts';
import type { RelayApi } from '../relay/relay-api.ts';
import { Batch } from '../store/batch.ts';
import { SerialQueue } from '../store/serial.ts';
import { createMemoryStorage } from '../store/store.ts';
import type { ClientEvents, ContactView } from '../views.ts';
import { createContactApi } from './contact-api.ts';
import { ContactStatus, contactOp, newContact, readContact } from './contacts.ts';

const A = '0a0a0a0a-0000-4000-8000-00000000000a';
const B = '0b0b0b0b-0000-4000-8000-00000000000b';
const C = '0c0c0c0c-0000-4000-8000-00000000000c';
const STRANGER = '0d0d0d0d-0000-4000-8000-00000000000d';

describe('reconcileBlocks', () => {
  it('blocks again at the relay what this device blocks, and shows what only the relay blocks', async () => {
    const { records } = createMemoryStorage();
    const batch = new Batch(records);
    batch.apply(contactOp(newContact(A, ContactStatus.BLOCKED, 1)));
    batch.apply(contactOp(newContact(B, ContactStatus.ACCEPTED, 1)));
    batch.apply(contactOp(newContact(C, ContactStatus.ACCEPTED, 1)));
    await batch.commit();
    const relayBlocks = new Set([B, STRANGER]);
    const relay = {
      blockList: async () => ({ users: [...relayBlocks] }),
      block: async (user: string) => void relayBlocks.add(user),
      unblock: async (user: string) => void relayBlocks.delete(user),
    } as unknown as RelayApi;
    const api = createContactApi({
      records,
      transact: transactOn(new SerialQueue(), records),
      now: () => 2,
      events: new Emitter<ClientEvents>(),
      requireApi: () => relay,
      view: async (c) => ({ userId: c.user }) as unknown as ContactView,
      stageSync: async () => {},
      pump: () => {},
    });

    expect(await api.reconcileBlocks()).toEqual({ pushed: [A], adopted: [B] });
    expect([...relayBlocks].sort()).toEqual([A, B, STRANGER].sort());
    expect((await readContact(records, B))?.status).toBe(ContactStatus.BLOCKED);
    expect((await readContact(records, C))?.status).toBe(ContactStatus.ACCEPTED);
    // Nothing left to do the second time.
    expect(await api.reconcileBlocks()).toEqual({ pushed: [], adopted: [] });
  });
});
