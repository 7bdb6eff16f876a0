// Sessions (connected and offline) from GET /api/v1/sessions, one session in detail
// (session-detail.ts); and the subscriptions matching a filter (GET /api/v1/subscriptions).
import { api } from './api.js';
import { dataTable, errorText, field, h, replace, showStatus, statusLine } from './dom.js';
import { moreButton } from './more-button.js';
import type { DetailContext } from './session-detail.js';
import { showSession } from './session-detail.js';
import type { Page, SessionSummary, SubscriptionInfo } from './shapes.js';

const PAGE = 100;

/** Mounts the session and subscription view into `root`. */
export function mountSessions(root: HTMLElement): () => void {
  const status = statusLine('sessions-status');
  const rows = h('tbody', { id: 'sessions-rows' });
  const detail = h('section', { id: 'session-detail', 'aria-label': 'Session' });
  let alive = true;

  const ctx: DetailContext = {
    box: detail,
    status,
    alive: () => alive,
    deleted: (clientId) => {
      // After the reload, whose own status line would replace this one.
      void load().then(() => showStatus(status, `Deleted the session of ${clientId}.`, false));
    },
  };

  // Pages after the first come with More, from the cursor of the last page read.
  let cursor: string | undefined;
  const more = moreButton('sessions-more');
  // Only the newest request may draw (a Refresh overtaking a More, or the reverse).
  let generation = 0;
  const load = async (append = false): Promise<void> => {
    const mine = ++generation;
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (append && cursor !== undefined) q.set('after', cursor);
    try {
      const page = await api<Page<SessionSummary>>('GET', `/sessions?${q}`);
      if (!alive || mine !== generation) return;
      if (!append) replace(rows);
      cursor = page.next;
      more.hidden = cursor === undefined;
      for (const s of page.items) {
        const open = h(
          'button',
          { type: 'button', class: 'secondary', 'aria-label': `Show session ${s.clientId}` },
          'Show',
        );
        open.addEventListener('click', () => void showSession(ctx, s.clientId));
        rows.appendChild(
          h(
            'tr',
            { 'data-client-id': s.clientId },
            h('td', { class: 'id' }, s.clientId),
            h('td', {}, s.online ? 'connected' : 'offline'),
            h('td', {}, s.subscriptions ?? '–'),
            h('td', {}, s.queued ?? '–'),
            h('td', {}, open),
          ),
        );
      }
      showStatus(
        status,
        page.total === 0 ? 'No sessions.' : `${rows.childElementCount} of ${page.total} shown.`,
        false,
      );
    } catch (err) {
      if (alive && mine === generation) showStatus(status, errorText(err));
    }
  };

  // Subscriptions across clients whose filter matches the one asked for.
  const filter = h('input', { id: 'subs-filter', placeholder: '#', autocomplete: 'off' });
  const subRows = h('tbody', { id: 'subs-rows' });
  const subStatus = statusLine('subs-status');
  const findSubs = async (e?: Event): Promise<void> => {
    e?.preventDefault();
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (filter.value !== '') q.set('filter', filter.value);
    try {
      const page = await api<Page<SubscriptionInfo>>('GET', `/subscriptions?${q}`);
      if (!alive) return;
      replace(subRows);
      for (const s of page.items) {
        subRows.appendChild(
          h(
            'tr',
            {},
            h('td', { class: 'id' }, s.clientId),
            h('td', { class: 'id' }, s.filter),
            h('td', {}, s.qos),
          ),
        );
      }
      showStatus(subStatus, page.items.length === 0 ? 'No subscriptions.' : undefined, false);
    } catch (err) {
      if (alive) showStatus(subStatus, errorText(err));
    }
  };
  const refresh = h('button', { type: 'button', class: 'secondary' }, 'Refresh');
  refresh.addEventListener('click', () => void load());
  more.addEventListener('click', () => void load(true));

  replace(
    root,
    h('h2', { tabindex: -1 }, 'Sessions and subscriptions'),
    h('div', { class: 'toolbar' }, refresh),
    status,
    h(
      'div',
      { class: 'split' },
      h(
        'div',
        {},
        dataTable(
          'sessions-table',
          'Sessions',
          ['Client id', 'State', 'Subscriptions', 'Queued', ''],
          rows,
        ),
        more,
      ),
      detail,
    ),
    h('h3', {}, 'Subscriptions'),
    h(
      'form',
      { class: 'toolbar', onsubmit: (e: Event) => void findSubs(e) },
      field('Topic filter', filter),
      h('button', { type: 'submit' }, 'Find'),
    ),
    subStatus,
    dataTable('subs-table', 'Subscriptions', ['Client id', 'Filter', 'QoS'], subRows),
  );
  void load();
  void findSubs();
  return () => {
    alive = false;
  };
}
