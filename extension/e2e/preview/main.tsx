import { render } from 'solid-js/web';
import { ChatShell, type Variant } from '../../components/ChatShell.tsx';
import { fitPopupToWindow } from '../../lib/popup-fit.ts';
import '../../styles/theme.css';

const variant: Variant =
  new URLSearchParams(location.search).get('variant') === 'popup' ? 'popup' : 'sidepanel';
if (variant === 'popup') fitPopupToWindow();
const root = document.getElementById('root');
if (root !== null) render(() => <ChatShell variant={variant} />, root);
