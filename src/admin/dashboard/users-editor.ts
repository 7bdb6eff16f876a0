// The runtime users of dynamic security (GET/POST /api/v1/users, PATCH/DELETE /users/{name}):
// a table with Enable/Disable and Delete per user, a form to add one and a form to change one's
// password or roles. Passwords go only into the request body, never into the page's text.
import { api, seg } from './api.js';
import { dataTable, errorText, field, form, h, settle, showStatus } from './dom.js';
import type { Page } from './shapes.js';

interface User {
  username: string;
  disabled: boolean;
  roles: string[];
  clientId?: string;
}

/** Role names from a comma-separated field (blank: none). */
function roleList(text: string): string[] {
  return text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
}

/** The users card; `status` is the view's status line. Returns it and its refresh. */
export function usersEditor(status: HTMLElement): { card: HTMLElement; refresh(): void } {
  const rows = h('tbody', { id: 'users-rows' });
  const refresh = (): void => {
    api<Page<User>>('GET', '/users?limit=1000').then(
      (page) => {
        rows.textContent = '';
        for (const u of page.items) rows.appendChild(row(u));
      },
      (err: unknown) => showStatus(status, errorText(err)),
    );
  };
  const act = (call: Promise<unknown>, done: string): void => settle(call, status, done, refresh);
  const row = (u: User): HTMLTableRowElement => {
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        'aria-label': `${u.disabled ? 'Enable' : 'Disable'} ${u.username}`,
      },
      u.disabled ? 'Enable' : 'Disable',
    );
    toggle.addEventListener('click', () =>
      act(
        api('PATCH', `/users/${seg(u.username)}`, { disabled: !u.disabled }),
        `${u.disabled ? 'Enabled' : 'Disabled'} ${u.username}.`,
      ),
    );
    const del = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete ${u.username}` },
      'Delete',
    );
    del.addEventListener('click', () =>
      act(api('DELETE', `/users/${seg(u.username)}`), `Deleted ${u.username}.`),
    );
    return h(
      'tr',
      { 'data-user': u.username },
      h('td', { class: 'id' }, u.username),
      h('td', {}, u.disabled ? 'disabled' : 'enabled'),
      h('td', {}, u.roles.join(', ') || '–'),
      h('td', { class: 'id' }, u.clientId ?? '–'),
      h('td', {}, h('div', { class: 'actions' }, toggle, del)),
    );
  };

  const name = h('input', { id: 'user-name', required: true, autocomplete: 'off' });
  const password = h('input', {
    id: 'user-password',
    type: 'password',
    required: true,
    autocomplete: 'new-password',
  });
  const roles = h('input', { id: 'user-roles', autocomplete: 'off', placeholder: 'role, role…' });
  const disabled = h('input', { id: 'user-disabled', type: 'checkbox' });
  const bind = h('input', { id: 'user-client-id', autocomplete: 'off', placeholder: 'any' });
  const add = (e: Event): void => {
    e.preventDefault();
    const body: Record<string, unknown> = {
      username: name.value,
      password: password.value,
      roles: roleList(roles.value),
      disabled: disabled.checked,
    };
    if (bind.value !== '') body.clientId = bind.value;
    password.value = '';
    act(api('POST', '/users', body), `Added ${name.value}.`);
  };

  const who = h('input', { id: 'change-user', required: true, autocomplete: 'off' });
  const newPassword = h('input', {
    id: 'change-password',
    type: 'password',
    autocomplete: 'new-password',
  });
  const newRoles = h('input', {
    id: 'change-roles',
    autocomplete: 'off',
    placeholder: 'unchanged when empty',
  });
  const newBind = h('input', {
    id: 'change-client-id',
    autocomplete: 'off',
    placeholder: 'unchanged when empty; - for any',
  });
  const change = (e: Event): void => {
    e.preventDefault();
    const body: { password?: string; roles?: string[]; clientId?: string } = {};
    if (newPassword.value !== '') body.password = newPassword.value;
    if (newRoles.value.trim() !== '') body.roles = roleList(newRoles.value);
    if (newBind.value !== '') body.clientId = newBind.value === '-' ? '' : newBind.value;
    newPassword.value = '';
    if (Object.keys(body).length === 0) {
      showStatus(status, 'Give a new password, roles or client id to change.');
      return;
    }
    act(api('PATCH', `/users/${seg(who.value)}`, body), `Changed ${who.value}.`);
  };

  const card = h(
    'section',
    { class: 'card', 'aria-labelledby': 'users-title' },
    h('h3', { id: 'users-title' }, 'Users'),
    dataTable(
      'users-table',
      'Runtime users (first 1000)',
      ['User', 'State', 'Roles', 'Client id', ''],
      rows,
    ),
    form(
      'user-add',
      'Add a user',
      add,
      [
        field('User name', name),
        field('Password', password),
        field('Roles (comma-separated, in the order consulted)', roles),
        field('Bound client id (optional: the only one it may use)', bind),
        h('div', { class: 'check' }, disabled, h('label', { for: 'user-disabled' }, 'Disabled')),
      ],
      'Add user',
    ),
    form(
      'user-change',
      'Change a user',
      change,
      [
        field('User name', who),
        field('New password', newPassword),
        field('New roles (comma-separated)', newRoles),
        field('New bound client id', newBind),
      ],
      'Change user',
    ),
  );
  return { card, refresh };
}
