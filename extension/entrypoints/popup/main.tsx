import { render } from 'solid-js/web';
import { ChatShell } from '../../components/ChatShell.tsx';
import { fitPopupToWindow } from '../../lib/popup-fit.ts';
import '../../styles/theme.css';

fitPopupToWindow();
const root = document.getElementById('root');
if (root !== null) render(() => <ChatShell variant="popup" />, root);
