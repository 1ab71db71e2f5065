import type { JSX } from 'solid-js';
import { Icon, type IconName } from './Icon.tsx';

export function EmptyState(props: {
  icon: IconName;
  title: string;
  children?: JSX.Element;
}): JSX.Element {
  return (
    <section class="empty" aria-label={props.title}>
      <div class="empty__art">
        <Icon name={props.icon} />
      </div>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}
