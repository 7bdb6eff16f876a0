// One connected client in full (GET /api/v1/clients/{id}): protocol, address, keep-alive,
// session expiry, queue and in-flight sizes, connected since, and its subscriptions.
import { api, seg } from './api.js';
import { dataTable, errorText, h, replace, showStatus, when } from './dom.js';
import type { ClientDetail } from './shapes.js';

/** Reads the client and shows it in `box`; errors go to `status`. */
export async function showClient(
  box: HTMLElement,
  status: HTMLElement,
  clientId: string,
  alive: () => boolean,
): Promise<void> {
  let c: ClientDetail;
  try {
    c = await api<ClientDetail>('GET', `/clients/${seg(clientId)}`);
  } catch (err) {
    if (alive()) showStatus(status, errorText(err));
    return;
  }
  if (!alive()) return;
  const subs = h('tbody', { id: 'client-subs-rows' });
  for (const s of c.subscriptions) {
    subs.appendChild(h('tr', {}, h('td', { class: 'id' }, s.filter), h('td', {}, s.qos)));
  }
  const seconds = (v: number | undefined) => (v === undefined ? '–' : `${v} s`);
  replace(
    box,
    h('h3', { tabindex: -1 }, `Client ${c.clientId}`),
    h(
      'dl',
      { class: 'props', id: 'client-props' },
      h('dt', {}, 'Protocol'),
      h('dd', {}, c.protocol === undefined ? '–' : `MQTT ${c.protocol}`),
      h('dt', {}, 'User'),
      h('dd', {}, c.username ?? '–'),
      h('dt', {}, 'Address'),
      h('dd', {}, `${c.address ?? '–'} (${c.listener ?? '–'})`),
      h('dt', {}, 'Keep-alive'),
      h('dd', {}, c.keepAlive === 0 ? 'none' : seconds(c.keepAlive)),
      h('dt', {}, 'Session expiry'),
      h('dd', {}, seconds(c.sessionExpiryInterval)),
      h('dt', {}, 'Queued / in flight'),
      h('dd', {}, `${c.queued ?? '–'} / ${c.inflight ?? '–'}`),
      h('dt', {}, 'Connected since'),
      h('dd', {}, when(c.connectedAt)),
    ),
    dataTable('client-subs', 'Subscriptions', ['Filter', 'QoS'], subs),
  );
  box.querySelector('h3')?.focus();
}
