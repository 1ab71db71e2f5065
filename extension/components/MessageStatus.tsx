/** Per-message delivery state: sending → stored on relay → delivered → read. */
import { type JSX, Match, Switch } from 'solid-js';
import type { MessageState } from '../lib/protocol.ts';
import { Icon } from './Icon.tsx';

export const STATE_LABEL: Record<MessageState, string> = {
  sending: 'Sending',
  stored: 'Stored on relay',
  delivered: 'Delivered',
  read: 'Read',
  failed: 'Not sent',
  received: 'Received',
};

export function MessageStatus(props: { state: MessageState }): JSX.Element {
  return (
    <span
      data-state={props.state}
      title={STATE_LABEL[props.state]}
      role="img"
      aria-label={STATE_LABEL[props.state]}
    >
      <Switch>
        <Match when={props.state === 'sending'}>
          <Icon name="clock" />
        </Match>
        <Match when={props.state === 'stored'}>
          <Icon name="check" />
        </Match>
        <Match when={props.state === 'delivered' || props.state === 'read'}>
          <Icon name="checks" />
        </Match>
        <Match when={props.state === 'failed'}>
          <Icon name="alert" />
        </Match>
      </Switch>
    </span>
  );
}
