// The dashboard's entry: one view at a time, chosen by the URL fragment (#overview, #clients…),
// so that every view has a link, the back button works and no server route is needed per view.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type { BrokerInfo } from './broker-info.js';
import { loadBrokerInfo } from './broker-info.js';
import { mountClients } from './clients.js';
import { mountOverview } from './overview.js';
import { mountRetained } from './retained.js';
import { mountSessions } from './sessions.js';
import { mountSignIn } from './sign-in.js';
import { mountUsers } from './users.js';
import { mountWsPanel } from './ws-panel.js';

type Mount = (root: HTMLElement, info: BrokerInfo | undefined) => () => void;

const VIEWS: Record<string, Mount> = {
  overview: mountOverview,
  clients: mountClients,
  sessions: mountSessions,
  retained: mountRetained,
  users: mountUsers,
  websocket: mountWsPanel,
  'sign-in': mountSignIn,
};

const main = document.getElementById('main') as HTMLElement;
let unmount: () => void = () => undefined;
let info: BrokerInfo | undefined;

function show(): void {
  const name = location.hash.slice(1);
  const view = VIEWS[name] === undefined ? 'overview' : name;
  unmount();
  unmount = (VIEWS[view] as Mount)(main, info);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    if (a.hash === `#${view}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // Keyboard and screen-reader users land on the new view's heading, not back at the nav.
  if (name !== '') main.querySelector<HTMLElement>('h2')?.focus();
}

function summary(i: BrokerInfo | undefined): string {
  if (i === undefined) return 'broker information unavailable';
  const listeners = i.listeners.map((l) => `${l.type} :${l.port}`).join(', ');
  return `version ${i.version}${listeners === '' ? '' : ` · ${listeners}`}`;
}

async function start(): Promise<void> {
  info = await loadBrokerInfo();
  const el = document.getElementById('broker-summary');
  if (el !== null) el.textContent = summary(info);
  addEventListener('hashchange', show);
  show();
}

void start();
