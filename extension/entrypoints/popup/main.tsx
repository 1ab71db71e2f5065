import { render } from 'solid-js/web';
import { ChatShell } from '../../components/ChatShell.tsx';
import '../../styles/theme.css';

const root = document.getElementById('root');
if (root !== null) render(() => <ChatShell variant="popup" />, root);
