import { render } from 'solid-js/web';
import '../../styles/theme.css';
import './onboarding.css';
import { Onboarding } from './Onboarding.tsx';

const root = document.getElementById('root');
if (root !== null) render(() => <Onboarding />, root);
