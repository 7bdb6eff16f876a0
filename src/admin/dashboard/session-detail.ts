// One session: its state, its subscriptions (each removable, and a form to add one; the
// operator's subscriptions skip the ACL hook, as the API documents) and a Delete button.
import { api, seg } from './api.js';
import { dataTable, errorText, field, h, replace, showStatus } from './dom.js';
import type { SessionDetail } from './shapes.js';

export interface DetailContext {
  /** Where the session is shown. */
  box: HTMLElement;
  /** The view's status line. */
  status: HTMLElement;
  /** Called after the session was deleted. */
  deleted(clientId: string): void;
  /** Whether the view is still mounted. */
  alive(): boolean;
}

/** Reads the session and shows it in `ctx.box` (again after each change made from it). */
export async function showSession(ctx: DetailContext, clientId: string): Promise<void> {
  const { box, status } = ctx;
  const path = `/sessions/${seg(clientId)}`;
  const change = (call: Promise<unknown>, done: string): void => {
    call.then(
      () => void showSession(ctx, clientId).then(() => showStatus(status, done, false)),
      (err: unknown) => showStatus(status, errorText(err)),
    );
  };
  let s: SessionDetail;
  try {
    s = await api<SessionDetail>('GET', path);
  } catch (err) {
    showStatus(status, errorText(err));
    return;
  }
  if (!ctx.alive()) return;
  const subs = h('tbody');
  for (const sub of s.subscriptions) {
    const remove = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Remove subscription ${sub.filter}` },
      'Remove',
    );
    remove.addEventListener('click', () =>
      change(
        api('DELETE', `${path}/subscriptions?${new URLSearchParams({ filter: sub.filter })}`),
        `Removed ${sub.filter} from ${clientId}.`,
      ),
    );
    subs.appendChild(
      h('tr', {}, h('td', { class: 'id' }, sub.filter), h('td', {}, sub.qos), h('td', {}, remove)),
    );
  }
  const filter = h('input', { id: 'session-sub-filter', required: true, autocomplete: 'off' });
  const qos = h(
    'select',
    { id: 'session-sub-qos' },
    ...[0, 1, 2].map((q) => h('option', { value: q }, String(q))),
  );
  const add = (e: Event): void => {
    e.preventDefault();
    change(
      api('POST', `${path}/subscriptions`, { filter: filter.value, qos: Number(qos.value) }),
      `Subscribed ${clientId} to ${filter.value}.`,
    );
  };
  const del = h('button', { type: 'button', class: 'danger' }, 'Delete session');
  del.addEventListener('click', () => {
    api('DELETE', path).then(
      () => {
        replace(box);
        ctx.deleted(clientId);
      },
      (err: unknown) => showStatus(status, errorText(err)),
    );
  });
  const focused = box.contains(document.activeElement);
  replace(
    box,
    h('h3', { tabindex: -1 }, `Session ${clientId}`),
    h(
      'dl',
      { class: 'props' },
      h('dt', {}, 'State'),
      h('dd', {}, s.online ? 'connected' : 'offline'),
      h('dt', {}, 'User'),
      h('dd', {}, s.username ?? '–'),
      h('dt', {}, 'Protocol'),
      h('dd', {}, s.protocol === undefined ? '–' : `MQTT ${s.protocol}`),
      h('dt', {}, 'Expiry interval'),
      h('dd', {}, s.expiryInterval === undefined ? '–' : `${s.expiryInterval} s`),
      h('dt', {}, 'Queued / in flight'),
      h('dd', {}, `${s.queued ?? '–'} / ${s.inflight ?? '–'}`),
      h('dt', {}, 'Will topic'),
      h('dd', {}, s.willTopic ?? '–'),
    ),
    dataTable('session-subs', 'Subscriptions', ['Filter', 'QoS', ''], subs),
    h(
      'form',
      { class: 'toolbar', onsubmit: add },
      field('Add a subscription', filter),
      field('QoS', qos),
      h('button', { type: 'submit' }, 'Subscribe'),
    ),
    h('div', { class: 'actions' }, del),
  );
  // A first show moves focus to the session; a refresh after a change keeps the reader in place.
  if (!focused) box.querySelector('h3')?.focus();
}
