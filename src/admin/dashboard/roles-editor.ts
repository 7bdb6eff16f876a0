// Roles and client-id rules of dynamic security (/api/v1/roles, /api/v1/client-rules): a table
// of each with Delete, and a form that sets the rules of a role (created when new) or of a
// client id, written one per line as allow|deny:ACTION:FILTER.
import { api, seg } from './api.js';
import { dataTable, errorText, field, form, h, settle, showStatus } from './dom.js';
import type { Rule } from './rules-text.js';
import { formatRule, parseRules } from './rules-text.js';
import type { Page } from './shapes.js';

/** What differs between the roles card and the client-rules card. */
interface Kind {
  /** Element id prefix. */
  id: string;
  title: string;
  /** Label of the name field. */
  nameLabel: string;
  /** API collection path; `/roles` creates with POST, `/client-rules` with a PUT. */
  path: '/roles' | '/client-rules';
}

type Row = { name?: string; clientId?: string; rules: Rule[] };

const RULES_HINT =
  'One rule a line: allow|deny:publish|subscribe|read:FILTER, e.g. deny:subscribe:secret/#. The first rule that matches decides; %u and %c stand for the user name and client id.';

function rulesCard(kind: Kind, status: HTMLElement): { card: HTMLElement; refresh(): void } {
  const rows = h('tbody', { id: `${kind.id}-rows` });
  const known = new Set<string>();
  const refresh = (): void => {
    api<Page<Row>>('GET', `${kind.path}?limit=1000`).then(
      (page) => {
        rows.textContent = '';
        known.clear();
        for (const item of page.items) {
          known.add(keyOf(item));
          rows.appendChild(row(item));
        }
      },
      (err: unknown) => showStatus(status, errorText(err)),
    );
  };
  const act = (call: Promise<unknown>, done: string): void => settle(call, status, done, refresh);
  const name = h('input', { id: `${kind.id}-name`, required: true, autocomplete: 'off' });
  const rules = h('textarea', { id: `${kind.id}-rules`, rows: 4, spellcheck: 'false' });
  const row = (item: Row): HTMLTableRowElement => {
    const n = keyOf(item);
    const edit = h(
      'button',
      { type: 'button', class: 'secondary', 'aria-label': `Edit ${n}` },
      'Edit',
    );
    edit.addEventListener('click', () => {
      name.value = n;
      rules.value = item.rules.map(formatRule).join('\n');
      rules.focus();
    });
    const del = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete ${n}` },
      'Delete',
    );
    del.addEventListener('click', () =>
      act(api('DELETE', `${kind.path}/${seg(n)}`), `Deleted ${n}.`),
    );
    return h(
      'tr',
      { [`data-${kind.id}`]: n },
      h('td', { class: 'id' }, n),
      h('td', { class: 'rules' }, item.rules.map(formatRule).join('\n') || '–'),
      h('td', {}, h('div', { class: 'actions' }, edit, del)),
    );
  };
  const save = (e: Event): void => {
    e.preventDefault();
    let parsed: Rule[];
    try {
      parsed = parseRules(rules.value);
    } catch (err) {
      showStatus(status, `${kind.nameLabel} ${name.value}: ${errorText(err)}`);
      return;
    }
    const n = name.value;
    const call =
      kind.path === '/roles' && !known.has(n)
        ? api('POST', kind.path, { name: n, rules: parsed })
        : api('PUT', `${kind.path}/${seg(n)}`, { rules: parsed });
    act(call, `Saved ${n} (${parsed.length} rule${parsed.length === 1 ? '' : 's'}).`);
  };
  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': `${kind.id}-title` },
    h('h3', { id: `${kind.id}-title` }, kind.title),
    dataTable(
      `${kind.id}-table`,
      `${kind.title} (first 1000)`,
      [kind.nameLabel, 'Rules', ''],
      rows,
    ),
    form(
      `${kind.id}-form`,
      `Set the rules of a ${kind.nameLabel.toLowerCase()}`,
      save,
      [field(kind.nameLabel, name), field('Rules', rules), h('p', { class: 'hint' }, RULES_HINT)],
      'Save rules',
    ),
  );
  return { card, refresh };
}

/** A role's name or a client id. */
function keyOf(item: Row): string {
  return item.name ?? item.clientId ?? '';
}

/** The roles card and the client-id rules card (consulted before the user's roles). */
export function rulesEditors(status: HTMLElement): Array<{ card: HTMLElement; refresh(): void }> {
  const kinds: Kind[] = [
    { id: 'role', title: 'Roles', nameLabel: 'Role', path: '/roles' },
    { id: 'client-rule', title: 'Client id rules', nameLabel: 'Client id', path: '/client-rules' },
  ];
  return kinds.map((k) => rulesCard(k, status));
}
