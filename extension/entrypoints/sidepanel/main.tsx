import { render } from 'solid-js/web';
import { MicrophoneGrant } from '../../components/attachments/MicrophoneGrant.tsx';
import { ChatShell } from '../../components/ChatShell.tsx';
import '../../styles/theme.css';

const grant = new URLSearchParams(location.search).get('grant') === 'microphone';
const root = document.getElementById('root');
if (root !== null) {
  render(() => (grant ? <MicrophoneGrant /> : <ChatShell variant="sidepanel" />), root);
}
