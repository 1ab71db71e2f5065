/** Onboarding's last step: all set, and a button that opens Parley in the side panel. */
import type { JSX } from 'solid-js';
import { browser } from 'wxt/browser';
import { Icon } from '../../components/Icon.tsx';
import type { AppStatus } from '../../lib/protocol.ts';

export function DoneStep(props: { status: AppStatus | null }): JSX.Element {
  const openParley = () => {
    void browser.windows.getCurrent().then((w) => {
      if (w.id !== undefined) void browser.sidePanel.open({ windowId: w.id });
    });
  };
  return (
    <div class="onb__form onb__done">
      <div class="onb__badge onb__badge--ok">
        <Icon name="check" />
      </div>
      <h2 tabindex="-1" data-view-heading>
        You’re all set{props.status?.account ? `, @${props.status?.account?.handle}` : ''}
      </h2>
      <p>
        Pin Parley to your toolbar: open the puzzle-piece menu next to the address bar and click the
        pin beside Parley. Chat from there, or open the side panel for the full view.
      </p>
      <button type="button" class="btn btn--primary btn--large btn--block" onClick={openParley}>
        <Icon name="panel" />
        Open Parley in the side panel
      </button>
    </div>
  );
}
