/**
 * The reference peer of bench/ui.ts: the smallest Solid page, built with the
 * same Solid compiler and Vite, marking its first render exactly as the popup
 * does (extension/components/ChatShell.tsx FIRST_RENDER_MARK). It shows what
 * any Solid extension page costs, so the popup's numbers read as "Parley's
 * cost over the floor".
 */
import { createSignal } from 'solid-js';
import { render } from 'solid-js/web';

function Hello() {
  const [name] = createSignal('world');
  return <h1>Hello, {name()}</h1>;
}

const root = document.getElementById('root');
if (root !== null) {
  render(() => <Hello />, root);
  requestAnimationFrame(() => performance.mark('parley:first-render'));
}
