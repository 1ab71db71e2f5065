import { render } from 'solid-js/web';
import { ChatShell, type Variant } from '../../components/ChatShell.tsx';
import '../../styles/theme.css';

const variant: Variant =
  new URLSearchParams(location.search).get('variant') === 'popup' ? 'popup' : 'sidepanel';
const root = document.getElementById('root');
if (root !== null) render(() => <ChatShell variant={variant} />, root);
