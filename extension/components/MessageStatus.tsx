/**
 * Per-message delivery state: sending → stored on relay → delivered → read;
 * a message a recipient could not decrypt shows failed, then "Sent again"
 * once the resend is on the relay, then delivered.
 * In groups the label counts members ("Read by 1 of 2") until everyone
 * confirmed; the icon moves on when all did.
 */
import { type JSX, Match, Show, Switch } from 'solid-js';
import type { MessageState, MessageView } from '../lib/protocol.ts';
import { Icon } from './Icon.tsx';

export const STATE_LABEL: Record<MessageState, string> = {
  sending: 'Sending',
  stored: 'Stored on relay',
  resent: 'Sent again',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
  received: 'Received',
};

type Receipts = NonNullable<MessageView['receipts']>;

/** What a person reads for a message's state; group receipts counted while incomplete. */
export function stateLabel(state: MessageState, receipts?: Receipts): string {
  if (receipts === undefined || receipts.total === 0) return STATE_LABEL[state];
  if (state === 'read') return 'Read by everyone';
  if (receipts.read > 0) return `Read by ${receipts.read} of ${receipts.total}`;
  if (state === 'delivered') return 'Delivered to everyone';
  if (receipts.delivered > 0) return `Delivered to ${receipts.delivered} of ${receipts.total}`;
  return STATE_LABEL[state];
}

export function MessageStatus(props: { state: MessageState; receipts?: Receipts }): JSX.Element {
  const label = () => stateLabel(props.state, props.receipts);
  /** Some (not all) members read it: "1/2" beside the ticks. */
  const partial = () => {
    const r = props.receipts;
    return r !== undefined && props.state !== 'read' && r.read > 0 ? `${r.read}/${r.total}` : null;
  };
  return (
    <span
      class="msg-state"
      data-state={props.state}
      data-partial={partial() === null ? undefined : 'read'}
      title={label()}
      role="img"
      aria-label={label()}
    >
      <Switch>
        <Match when={props.state === 'sending'}>
          <Icon name="clock" />
        </Match>
        <Match
          when={
            (props.state === 'stored' || props.state === 'resent') &&
            (props.receipts?.delivered ?? 0) === 0
          }
        >
          <Icon name="check" />
        </Match>
        <Match
          when={
            props.state === 'delivered' ||
            props.state === 'read' ||
            ((props.state === 'stored' || props.state === 'resent') &&
              (props.receipts?.delivered ?? 0) > 0)
          }
        >
          <Icon name="checks" />
        </Match>
        <Match when={props.state === 'failed'}>
          <Icon name="alert" />
        </Match>
      </Switch>
      <Show when={partial()}>{(text) => <span class="msg-state__count">{text()}</span>}</Show>
    </span>
  );
}
