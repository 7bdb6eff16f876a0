// The client table: connected clients from GET /api/v1/clients, searched by client-id prefix,
// each with a Details button (client-detail.ts) and a Disconnect button (DELETE
// /api/v1/clients/{id}).
import { api, seg } from './api.js';
import { showClient } from './client-detail.js';
import { dataTable, errorText, field, h, replace, showStatus, statusLine, when } from './dom.js';
import { moreButton } from './more-button.js';
import type { ClientSummary, Page } from './shapes.js';

/** Rows asked for per page; "More" asks for the next. */
const PAGE = 100;
/** Pause after the last keystroke before searching (ms). */
const SEARCH_DELAY = 250;

/** Mounts the client table into `root`. */
export function mountClients(root: HTMLElement): () => void {
  const search = h('input', {
    id: 'clients-search',
    type: 'search',
    placeholder: 'client id prefix',
    autocomplete: 'off',
  });
  const status = statusLine('clients-status');
  const body = h('tbody', { id: 'clients-rows' });
  const more = moreButton('clients-more');
  let cursor: string | undefined;
  let generation = 0;
  // Disconnects reported in the status line: a list that was asked for before one answers
  // after it, and must not replace its message (the table is still updated).
  let actions = 0;
  const detail = h('section', { id: 'client-detail', 'aria-label': 'Client' });
  let mounted = true;
  const live = () => mounted;

  const row = (c: ClientSummary): HTMLTableRowElement => {
    const kick = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Disconnect ${c.clientId}` },
      'Disconnect',
    );
    kick.addEventListener('click', () => {
      kick.disabled = true;
      api('DELETE', `/clients/${seg(c.clientId)}`).then(
        () => {
          tr.remove();
          actions++;
          showStatus(status, `Disconnected ${c.clientId}.`, false);
        },
        (err: unknown) => {
          kick.disabled = false;
          showStatus(status, errorText(err));
        },
      );
    });
    const details = h(
      'button',
      { type: 'button', class: 'secondary', 'aria-label': `Details of ${c.clientId}` },
      'Details',
    );
    details.addEventListener('click', () => void showClient(detail, status, c.clientId, live));
    const tr = h(
      'tr',
      { 'data-client-id': c.clientId },
      h('td', { class: 'id' }, c.clientId),
      h('td', {}, c.username ?? '–'),
      h('td', {}, c.address ?? '–'),
      h('td', {}, c.listener ?? '–'),
      h('td', {}, c.protocol === undefined ? '–' : `MQTT ${c.protocol}`),
      h('td', {}, when(c.connectedAt)),
      h('td', {}, h('div', { class: 'actions' }, details, kick)),
    );
    return tr;
  };

  const load = async (append: boolean): Promise<void> => {
    const mine = ++generation;
    const acted = actions;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (search.value !== '') q.set('prefix', search.value);
    if (append && cursor !== undefined) q.set('after', cursor);
    try {
      const page = await api<Page<ClientSummary>>('GET', `/clients?${q}`);
      if (mine !== generation) return; // a newer search answered first
      if (!append) replace(body);
      for (const c of page.items) body.appendChild(row(c));
      cursor = page.next;
      more.hidden = cursor === undefined;
      if (actions !== acted) return;
      showStatus(
        status,
        page.total === 0
          ? 'No clients connected.'
          : `${body.childElementCount} of ${page.total} shown.`,
        false,
      );
    } catch (err) {
      if (mine === generation) showStatus(status, errorText(err));
    }
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void load(false), SEARCH_DELAY);
  });
  more.addEventListener('click', () => void load(true));
  const refresh = h('button', { id: 'clients-refresh', type: 'button', class: 'secondary' });
  refresh.textContent = 'Refresh';
  refresh.addEventListener('click', () => void load(false));

  replace(
    root,
    h('h2', { tabindex: -1 }, 'Clients'),
    h('div', { class: 'toolbar' }, field('Search by client id', search), refresh),
    status,
    dataTable(
      'clients-table',
      'Connected clients',
      ['Client id', 'User', 'Address', 'Listener', 'Protocol', 'Connected since', ''],
      body,
    ),
    more,
    detail,
  );
  void load(false);
  return () => {
    mounted = false;
    generation++;
    clearTimeout(timer);
  };
}
