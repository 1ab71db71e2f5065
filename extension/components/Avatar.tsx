/** Initials on a colour derived from the handle: stable, distinct, no images to load. */
import type { JSX } from 'solid-js';
import { Icon } from './Icon.tsx';

const HUES = [226, 262, 291, 330, 12, 28, 160, 188, 200, 142];

export function avatarHue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return HUES[h % HUES.length] ?? 226;
}

export function initials(name: string): string {
  const clean = name.replace(/^@/, '');
  const parts = clean.split(/[_.\s-]+/).filter((p) => p !== '');
  const first = parts[0] ?? clean;
  const second = parts[1];
  return (
    second === undefined ? first.slice(0, 2) : (first[0] ?? '') + (second[0] ?? '')
  ).toUpperCase();
}

/** Initials (or, for a group, the group mark), with a dot when the contact is online. */
export function Avatar(props: {
  name: string;
  size?: 'sm' | 'md' | 'lg';
  group?: boolean;
  online?: boolean;
}): JSX.Element {
  const hue = () => avatarHue(props.name);
  return (
    <span
      class={`avatar${props.size === 'sm' ? ' avatar--sm' : props.size === 'lg' ? ' avatar--lg' : ''}`}
      style={{
        background: `linear-gradient(135deg, hsl(${hue()} 70% 58%), hsl(${hue() + 24} 64% 46%))`,
      }}
      aria-hidden="true"
    >
      {props.group ? <Icon name="users" class="avatar__icon" /> : initials(props.name)}
      {props.online ? <span class="avatar__online" /> : null}
    </span>
  );
}
