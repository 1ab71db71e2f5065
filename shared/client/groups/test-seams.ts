/**
 * Test seams for groups, exposed as ParleyClient.dangerousTestOnly and never
 * for the UI: send a group state without checking or applying it (forged,
 * replayed, stale), so tests can show that members refuse such states on
 * their own; and read the current signed state to replay it later.
 */
import type { Bytes } from '../../bytes.ts';
import { ErrorCode, fail } from '../../errors.ts';
import { type GroupApiHost, runGroupChange } from './group-api.ts';
import { groupIdOf } from './group-view.ts';
import { sendRawGroupState, trustedKeys } from './ops.ts';
import type { GroupState, SignedGroupState } from './state.ts';
import { readGroup } from './store.ts';

export function createGroupTestSeams(host: GroupApiHost) {
  return {
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
      await runGroupChange(host, async (batch, h) => {
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

export type GroupTestSeams = ReturnType<typeof createGroupTestSeams>;
