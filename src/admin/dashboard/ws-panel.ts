// The WebSocket client panel: Petrel's own client (bundled for the browser) connects to the
// broker's WebSocket listener from the page, subscribes and publishes. The connection stays open
// while the reader moves between views; only the page's unload ends it.
import type { MqttClient, QoS } from '../../index.js';
import { connect } from '../../index.js';
import type { BrokerInfo } from './broker-info.js';
import { errorText, field, h, replace, showStatus, statusLine } from './dom.js';
import { preview } from './payload.js';

/** Messages kept in the log (oldest dropped first). */
const LOG_LINES = 200;

let client: MqttClient | undefined;
/** The panel's nodes, built once so that the log and the form survive a change of view. */
let panel: HTMLElement | undefined;

function qosSelect(id: string): HTMLSelectElement {
  return h(
    'select',
    { id },
    h('option', { value: '0' }, '0'),
    h('option', { value: '1' }, '1'),
    h('option', { value: '2' }, '2'),
  );
}

/**
 * The URL of one of the broker's WebSocket listeners, seen from this page's host name: wss when
 * the page came over HTTPS (a browser blocks ws:// from an https:// page), else ws before wss.
 */
function defaultUrl(info: BrokerInfo | undefined): string {
  const order = location.protocol === 'https:' ? ['wss'] : ['ws', 'wss'];
  for (const type of order) {
    const l = info?.listeners.find((x) => x.type === type);
    // '*' takes any path (as Mosquitto's listeners do).
    const path = l?.path === undefined || l.path === '*' ? '/mqtt' : l.path;
    if (l !== undefined) return `${type}://${location.hostname}:${l.port}${path}`;
  }
  return '';
}

function build(info: BrokerInfo | undefined): HTMLElement {
  const url = h('input', {
    id: 'ws-url',
    type: 'url',
    required: true,
    placeholder: 'ws://host:port/mqtt',
    value: defaultUrl(info),
  });
  const username = h('input', { id: 'ws-username', autocomplete: 'off' });
  const password = h('input', { id: 'ws-password', type: 'password', autocomplete: 'off' });
  const connectButton = h('button', { id: 'ws-connect', type: 'submit' }, 'Connect');
  const disconnectButton = h(
    'button',
    { id: 'ws-disconnect', type: 'button', disabled: true },
    'Disconnect',
  );
  const state = statusLine('ws-state');
  state.textContent = 'Not connected.';

  const filter = h('input', { id: 'ws-filter', required: true, placeholder: 'sensors/#' });
  const subQos = qosSelect('ws-sub-qos');
  const topic = h('input', { id: 'ws-topic', required: true, placeholder: 'sensors/1' });
  const payload = h('textarea', { id: 'ws-payload', rows: 3 });
  const pubQos = qosSelect('ws-pub-qos');
  const retain = h('input', { id: 'ws-retain', type: 'checkbox' });
  const log = h('ol', { id: 'ws-log', class: 'log', 'aria-live': 'polite', 'aria-label': 'Log' });
  const subButton = h(
    'button',
    { id: 'ws-subscribe', type: 'submit', disabled: true },
    'Subscribe',
  );
  const pubButton = h('button', { id: 'ws-publish', type: 'submit', disabled: true }, 'Publish');

  const note = (text: string): void => {
    log.prepend(h('li', {}, h('time', {}, new Date().toLocaleTimeString()), ' ', text));
    while (log.childElementCount > LOG_LINES) log.lastElementChild?.remove();
  };
  const setConnected = (on: boolean): void => {
    connectButton.disabled = on;
    disconnectButton.disabled = !on;
    subButton.disabled = !on;
    pubButton.disabled = !on;
  };
  const run = async (what: string, action: () => Promise<void>): Promise<void> => {
    try {
      await action();
    } catch (err) {
      showStatus(state, `${what} failed: ${errorText(err)}`);
    }
  };

  const onConnect = (e: Event): void => {
    e.preventDefault();
    void run('Connect', async () => {
      showStatus(state, `Connecting to ${url.value}…`, false);
      const c = await connect(url.value, {
        reconnect: false,
        ...(username.value === '' ? {} : { username: username.value }),
        ...(password.value === '' ? {} : { password: password.value }),
      });
      client = c;
      c.on('message', (m) => {
        note(`${m.topic} (QoS ${m.qos}${m.retain ? ', retained' : ''}): ${preview(m.payload)}`);
      });
      c.on('close', () => {
        if (client === c) client = undefined;
        setConnected(false);
        showStatus(state, 'Not connected.', false);
      });
      setConnected(true);
      showStatus(state, `Connected to ${url.value} as ${c.clientId}.`, false);
    });
  };
  const onSubscribe = (e: Event): void => {
    e.preventDefault();
    void run('Subscribe', async () => {
      const c = client;
      if (c === undefined) return;
      const qos = Number(subQos.value) as QoS;
      await c.subscribe(filter.value, { qos });
      note(`subscribed to ${filter.value} (QoS ${qos})`);
    });
  };
  const onPublish = (e: Event): void => {
    e.preventDefault();
    void run('Publish', async () => {
      const c = client;
      if (c === undefined) return;
      const qos = Number(pubQos.value) as QoS;
      await c.publish(topic.value, payload.value, { qos, retain: retain.checked });
      note(`published to ${topic.value} (QoS ${qos})`);
    });
  };
  disconnectButton.addEventListener('click', () => {
    void run('Disconnect', async () => {
      await client?.disconnect();
    });
  });

  return h(
    'div',
    { class: 'ws-panel' },
    h('h2', { tabindex: -1 }, 'WebSocket client'),
    h(
      'p',
      { class: 'hint' },
      "Petrel's browser client, connected from this page to the broker's WebSocket listener.",
    ),
    h(
      'form',
      { id: 'ws-connect-form', class: 'card', onsubmit: onConnect },
      field('WebSocket URL', url),
      field('User name (optional)', username),
      field('Password (optional)', password),
      h('div', { class: 'actions' }, connectButton, disconnectButton),
      state,
    ),
    h(
      'form',
      { id: 'ws-subscribe-form', class: 'card', onsubmit: onSubscribe },
      h('h3', {}, 'Subscribe'),
      field('Topic filter', filter),
      field('QoS', subQos),
      h('div', { class: 'actions' }, subButton),
    ),
    h(
      'form',
      { id: 'ws-publish-form', class: 'card', onsubmit: onPublish },
      h('h3', {}, 'Publish'),
      field('Topic', topic),
      field('Payload', payload),
      field('QoS', pubQos),
      h('div', { class: 'check' }, retain, h('label', { for: 'ws-retain' }, 'Retain')),
      h('div', { class: 'actions' }, pubButton),
    ),
    h('h3', {}, 'Log'),
    log,
  );
}

/** Mounts the panel (the same nodes every time) into `root`. */
export function mountWsPanel(root: HTMLElement, info: BrokerInfo | undefined): () => void {
  panel ??= build(info);
  replace(root, panel);
  return () => undefined;
}
