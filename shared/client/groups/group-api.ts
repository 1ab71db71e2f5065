/**
 * The group part of the client API (createClient exposes these): create a
 * group, change members, roles, name and timer, leave, accept, and the view
 * the UI shows. Every change is one signed state (groups/ops.ts), stored and
 * queued in one write on the client's serial queue.
 */
import { type Bytes, fromHex } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import { GROUP_MAX_MEMBERS } from '../../wire/limits.ts';
import { ContactStatus, contactOp, newContact, readContact } from '../contacts/contacts.ts';
import { groupConversationId, groupHexOf } from '../conversations/conversations.ts';
import type { InboxEffect } from '../effects.ts';
import type { ClientHost } from '../host.ts';
import { releaseHeldReceipts } from '../inbox/receipts.ts';
import type { SessionContext } from '../sessions/sessions.ts';
import type { Batch } from '../store/batch.ts';
import type { GroupHost } from './membership.ts';
import { changeGroup, createGroup, type GroupEdit, sendRawGroupState, trustedKeys } from './ops.ts';
import {
  checkGroupName,
  checkPermission,
  diffStates,
  type GroupRole,
  type GroupState,
  isTimerOption,
  GroupRole as Role,
  roleOf,
  type SignedGroupState,
} from './state.ts';
import { groupHex, isMember, readGroup, stageGroup } from './store.ts';

export interface GroupApiHost
  extends Pick<ClientHost, 'records' | 'transact' | 'stamps' | 'now' | 'random'> {
  requireSessions(): SessionContext;
  /** Resolves a handle (or passes a user id through) to a user id and its handle. */
  resolveUser(handleOrUserId: string): Promise<{ user: string; handle?: string }>;
  emit(effects: readonly InboxEffect[]): void;
  /** Lets the outbox send what was queued. */
  pump(): void;
  /** Receipts held back for an invitation went back into the queue: flush them. */
  receiptsReleased?(): void;
}

export interface GroupMemberView {
  readonly userId: string;
  readonly handle: string | null;
  readonly role: GroupRole;
  /** Whether we may remove this member (permission table). */
  readonly canRemove: boolean;
}

export interface GroupView {
  readonly conversationId: string;
  /** Group id, 32 hex characters. */
  readonly id: string;
  readonly name: string;
  readonly version: number;
  /** Disappearing-message timer (ms, 0 = off). */
  readonly timer: number;
  readonly members: readonly GroupMemberView[];
  /** Our role, or null when we left or were removed. */
  readonly myRole: GroupRole | null;
  /** We are a member of the current state. */
  readonly active: boolean;
  /** Not a request (we created it, an accepted contact added us, or we accepted it). */
  readonly accepted: boolean;
  readonly addedBy: string;
  readonly can: {
    readonly rename: boolean;
    readonly setTimer: boolean;
    readonly addMembers: boolean;
    readonly changeRoles: boolean;
    readonly leave: boolean;
  };
}

function groupIdOf(conversationId: string): Bytes {
  const hex = groupHexOf(conversationId);
  if (hex === undefined || !/^[0-9a-f]{32}$/.test(hex)) {
    fail(ErrorCode.BAD_ARGUMENT, 'Not a group conversation');
  }
  return fromHex(hex);
}

function allowed(
  author: string,
  role: GroupRole | undefined,
  parent: GroupState,
  child: GroupState,
) {
  if (role === undefined) return false;
  try {
    checkPermission(author, role, diffStates(parent, child));
    return true;
  } catch {
    return false;
  }
}

export function createGroupApi(host: GroupApiHost) {
  const groupHost = (): GroupHost => ({ sessions: host.requireSessions(), stamps: host.stamps });

  async function run(job: (batch: Batch, h: GroupHost) => Promise<InboxEffect[]>): Promise<void> {
    const h = groupHost();
    const effects = await host.transact(async (batch) => {
      const out = await job(batch, h);
      return out;
    });
    host.emit(effects);
    host.pump();
  }

  /** Users by handle or id; new ones are recorded as contacts (we chose to talk to them). */
  async function resolveMembers(inputs: readonly string[], own: string): Promise<string[]> {
    const resolved: Array<{ user: string; handle?: string }> = [];
    for (const input of inputs) resolved.push(await host.resolveUser(input));
    const users = [...new Set(resolved.map((r) => r.user))].filter((u) => u !== own);
    await host.transact(async (batch) => {
      for (const r of resolved) {
        if (r.user === own) continue;
        const existing = await readContact(batch, r.user);
        const contact = existing ?? newContact(r.user, ContactStatus.ACCEPTED, host.now());
        if (existing === undefined || (existing.handle === undefined && r.handle !== undefined)) {
          batch.apply(
            contactOp(r.handle === undefined ? contact : { ...contact, handle: r.handle }),
          );
        }
      }
    });
    return users;
  }

  async function view(conversationId: string): Promise<GroupView> {
    const ctx = host.requireSessions();
    const own = ctx.account.userId;
    const record = await readGroup(host.records, groupIdOf(conversationId));
    if (record === undefined) fail(ErrorCode.NOT_FOUND, 'No such group');
    const head = record.chain.head;
    const state = head.state;
    const myRole = roleOf(state, own);
    const trial = (edit: (d: GroupEdit) => void): boolean => {
      const members = new Map(state.members.map((m) => [m.user, m.role]));
      const draft = { name: state.name, timer: state.timer, members };
      edit(draft);
      const child: GroupState = {
        ...state,
        name: draft.name,
        timer: draft.timer,
        members: [...draft.members].map(([user, role]) => ({ user, role })),
      };
      return allowed(own, myRole, state, child);
    };
    const members: GroupMemberView[] = [];
    for (const m of state.members) {
      const contact = m.user === own ? undefined : await readContact(host.records, m.user);
      members.push({
        userId: m.user,
        handle: m.user === own ? ctx.account.handle : (contact?.handle ?? null),
        role: m.role,
        canRemove:
          m.user !== own &&
          trial((d) => {
            d.members.delete(m.user);
          }),
      });
    }
    const probe = '00000000-0000-4000-8000-000000000000';
    return {
      conversationId,
      id: groupHex(record.id),
      name: state.name,
      version: state.version,
      timer: state.timer,
      members,
      myRole: myRole ?? null,
      active: myRole !== undefined,
      accepted: record.accepted,
      addedBy: record.addedBy,
      can: {
        rename: trial((d) => {
          d.name = `${state.name}.`;
        }),
        setTimer: trial((d) => {
          d.timer = state.timer === 0 ? 30_000 : 0;
        }),
        addMembers: trial((d) => {
          d.members.set(probe, Role.MEMBER);
        }),
        changeRoles: myRole === Role.OWNER,
        leave: myRole !== undefined && myRole !== Role.OWNER,
      },
    };
  }

  return {
    getGroup: view,

    /** Creates a group (we are its owner) with members given by handle or user id. */
    async createGroup(input: {
      readonly name: string;
      readonly members: readonly string[];
      readonly timer?: number;
    }): Promise<string> {
      const ctx = host.requireSessions();
      checkGroupName(input.name);
      const timer = input.timer ?? 0;
      if (!isTimerOption(timer)) fail(ErrorCode.BAD_ARGUMENT, 'Not a timer option');
      if (input.members.length + 1 > GROUP_MAX_MEMBERS) {
        fail(ErrorCode.BAD_ARGUMENT, `A group has at most ${GROUP_MAX_MEMBERS} members`);
      }
      const members = await resolveMembers(input.members, ctx.account.userId);
      let id: Bytes | undefined;
      await run(async (batch, h) => {
        const created = await createGroup(h, batch, { name: input.name, members, timer });
        id = created.group;
        return created.effects;
      });
      if (id === undefined) fail(ErrorCode.INTERNAL, 'Group not created');
      return groupConversationId(id);
    },

    async addMembers(conversationId: string, users: readonly string[]): Promise<void> {
      const group = groupIdOf(conversationId);
      const members = await resolveMembers(users, host.requireSessions().account.userId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          for (const user of members) if (!d.members.has(user)) d.members.set(user, Role.MEMBER);
        }),
      );
    },

    async removeMember(conversationId: string, userId: string): Promise<void> {
      const group = groupIdOf(conversationId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          if (!d.members.delete(userId)) fail(ErrorCode.NOT_FOUND, 'Not a member of this group');
        }),
      );
    },

    /** Makes a member an admin or a member; `owner` transfers ownership (we become an admin). */
    async setRole(conversationId: string, userId: string, role: GroupRole): Promise<void> {
      const group = groupIdOf(conversationId);
      const own = host.requireSessions().account.userId;
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          if (!d.members.has(userId)) fail(ErrorCode.NOT_FOUND, 'Not a member of this group');
          d.members.set(userId, role);
          if (role === Role.OWNER && userId !== own) d.members.set(own, Role.ADMIN);
        }),
      );
    },

    async renameGroup(conversationId: string, name: string): Promise<void> {
      const group = groupIdOf(conversationId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          d.name = name;
        }),
      );
    },

    async setGroupTimer(conversationId: string, timer: number): Promise<void> {
      if (!isTimerOption(timer)) fail(ErrorCode.BAD_ARGUMENT, 'Not a timer option');
      const group = groupIdOf(conversationId);
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          d.timer = timer;
        }),
      );
    },

    /** Leaves (the owner must transfer ownership first: GROUP_FORBIDDEN). */
    async leaveGroup(conversationId: string): Promise<void> {
      const group = groupIdOf(conversationId);
      const own = host.requireSessions().account.userId;
      await run((batch, h) =>
        changeGroup(h, batch, group, (d) => {
          d.members.delete(own);
        }),
      );
    },

    /** Accepts a group someone who is not an accepted contact added us to. */
    async acceptGroup(conversationId: string): Promise<void> {
      const group = groupIdOf(conversationId);
      let released = false;
      await run(async (batch) => {
        const record = await readGroup(batch, group);
        if (record === undefined) fail(ErrorCode.NOT_FOUND, 'No such group');
        stageGroup(batch, { ...record, accepted: true });
        released = (await releaseHeldReceipts(batch, { group })) > 0;
        return [
          { type: 'group', conversationId },
          { type: 'conversation', conversationId },
        ];
      });
      if (released) host.receiptsReleased?.();
    },

    /** Whether we are an active member (tests, UI guards). */
    async isActiveMember(conversationId: string): Promise<boolean> {
      const record = await readGroup(host.records, groupIdOf(conversationId));
      return (
        record !== undefined &&
        isMember(record.chain.head.state, host.requireSessions().account.userId)
      );
    },

    /**
     * Test seam: signs `edit` of the current state (or resends a stored state
     * with `resend: version`) and sends it to `recipients` WITHOUT checking or
     * applying it here, so tests can show that members refuse forged,
     * replayed and stale states on their own.
     */
    async dangerouslySendGroupState(input: {
      readonly conversationId: string;
      readonly recipients: readonly string[];
      readonly state?: (
        head: SignedGroupState,
        own: string,
        now: number,
        keyFor: (user: string) => Bytes | undefined,
      ) => GroupState;
      readonly resend?: SignedGroupState;
      /** The history sent with it; default: ours up to the head when the state follows the head. */
      readonly history?: readonly SignedGroupState[];
    }): Promise<SignedGroupState> {
      const group = groupIdOf(input.conversationId);
      let sent: SignedGroupState | undefined;
      await run(async (batch, h) => {
        const record = await readGroup(batch, group);
        if (record === undefined) fail(ErrorCode.NOT_FOUND, 'No such group');
        const own = h.sessions.account.userId;
        const head = record.chain.head;
        const keyFor = await trustedKeys(h, batch, [own]);
        const payload = input.resend ?? input.state?.(head, own, host.now(), keyFor);
        if (payload === undefined) fail(ErrorCode.BAD_ARGUMENT, 'Nothing to send');
        const state = 'signature' in payload ? payload.state : payload;
        const history =
          input.history ??
          (state.version === head.state.version + 1
            ? [...record.chain.ancestors, head]
            : undefined);
        sent = await sendRawGroupState(h, batch, payload, input.recipients, history);
        return [];
      });
      if (sent === undefined) fail(ErrorCode.INTERNAL, 'Group state not sent');
      return sent;
    },

    /** The current signed state (tests: capture it to replay later). */
    async currentState(conversationId: string): Promise<SignedGroupState> {
      const record = await readGroup(host.records, groupIdOf(conversationId));
      if (record === undefined) fail(ErrorCode.NOT_FOUND, 'No such group');
      return record.chain.head;
    },
  };
}

export type GroupApi = ReturnType<typeof createGroupApi>;
