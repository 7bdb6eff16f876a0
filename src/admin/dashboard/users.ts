// The users, roles and ACL editor over /api/v1/users and /api/v1/roles (runtime users kept in the
// broker's store). A broker whose API has no such routes answers 404: the view says so.
import { ApiError, api, seg } from './api.js';
import { dataTable, errorText, field, h, replace, showStatus, statusLine } from './dom.js';
import type { AclRule, Page, RoleInfo, UserInfo } from './shapes.js';

/** One rule per line: `allow|deny read|write|readwrite|subscribe TOPIC`. */
export function parseRules(text: string): AclRule[] {
  const rules: AclRule[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '') continue;
    const [verdict, action, ...rest] = line.split(/\s+/);
    const topic = rest.join(' ');
    if ((verdict !== 'allow' && verdict !== 'deny') || action === undefined || topic === '') {
      throw new Error(`rule line ${i + 1}: expected "allow|deny ACTION TOPIC", got "${line}"`);
    }
    rules.push({ allow: verdict === 'allow', action, topic });
  }
  return rules;
}

function rulesText(rules: AclRule[]): string {
  return rules.map((r) => `${r.allow ? 'allow' : 'deny'} ${r.action} ${r.topic}`).join('\n');
}

function rolesOf(text: string): string[] {
  return text
    .split(',')
    .map((r) => r.trim())
    .filter((r) => r !== '');
}

/** Mounts the editor into `root`. */
export function mountUsers(root: HTMLElement): () => void {
  const status = statusLine('users-status');
  const userRows = h('tbody', { id: 'users-rows' });
  const roleRows = h('tbody', { id: 'roles-rows' });
  let alive = true;

  const act = (what: string, call: Promise<unknown>): void => {
    call.then(
      () => {
        showStatus(status, what, false);
        void load();
      },
      (err: unknown) => showStatus(status, errorText(err)),
    );
  };

  const userRow = (u: UserInfo): HTMLElement => {
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
        `${u.disabled ? 'Enabled' : 'Disabled'} ${u.username}.`,
        api('PATCH', `/users/${seg(u.username)}`, { disabled: !u.disabled }),
      ),
    );
    const del = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete ${u.username}` },
      'Delete',
    );
    del.addEventListener('click', () =>
      act(`Deleted ${u.username}.`, api('DELETE', `/users/${seg(u.username)}`)),
    );
    return h(
      'tr',
      { 'data-username': u.username },
      h('td', { class: 'id' }, u.username),
      h('td', {}, u.roles.join(', ') || '–'),
      h('td', {}, u.disabled ? 'disabled' : 'enabled'),
      h('td', {}, h('div', { class: 'actions' }, toggle, del)),
    );
  };

  const roleRow = (r: RoleInfo): HTMLElement => {
    const del = h(
      'button',
      { type: 'button', class: 'danger', 'aria-label': `Delete role ${r.name}` },
      'Delete',
    );
    del.addEventListener('click', () =>
      act(`Deleted role ${r.name}.`, api('DELETE', `/roles/${seg(r.name)}`)),
    );
    return h(
      'tr',
      { 'data-role': r.name },
      h('td', { class: 'id' }, r.name),
      h('td', {}, h('pre', { class: 'payload' }, rulesText(r.rules) || '(no rules)')),
      h('td', {}, del),
    );
  };

  const load = async (): Promise<void> => {
    try {
      const [users, roles] = await Promise.all([
        api<Page<UserInfo>>('GET', '/users'),
        api<Page<RoleInfo>>('GET', '/roles'),
      ]);
      if (!alive) return;
      replace(userRows, ...users.items.map(userRow));
      replace(roleRows, ...roles.items.map(roleRow));
    } catch (err) {
      if (!alive) return;
      if (err instanceof ApiError && err.status === 404) {
        // Keep the heading (it may hold the focus); replace the forms and tables.
        replace(
          editor,
          h(
            'p',
            { id: 'users-missing', class: 'card missing' },
            "This broker's admin API has no runtime users, roles or ACL rules (/api/v1/users answers 404): manage them in the password and ACL files.",
          ),
        );
      } else showStatus(status, errorText(err));
    }
  };

  const name = h('input', { id: 'user-name', required: true, autocomplete: 'off' });
  const password = h('input', {
    id: 'user-password',
    type: 'password',
    required: true,
    autocomplete: 'new-password',
  });
  const userRoles = h('input', {
    id: 'user-roles',
    placeholder: 'role1, role2',
    autocomplete: 'off',
  });
  const addUser = (e: Event): void => {
    e.preventDefault();
    act(
      `Created ${name.value}.`,
      api('POST', '/users', {
        username: name.value,
        password: password.value,
        roles: rolesOf(userRoles.value),
      }),
    );
    password.value = '';
  };

  const roleName = h('input', { id: 'role-name', required: true, autocomplete: 'off' });
  const roleRules = h('textarea', {
    id: 'role-rules',
    rows: 4,
    placeholder: 'allow readwrite sensors/#',
  });
  const addRole = (e: Event): void => {
    e.preventDefault();
    let rules: AclRule[];
    try {
      rules = parseRules(roleRules.value);
    } catch (err) {
      showStatus(status, errorText(err));
      return;
    }
    act(`Saved role ${roleName.value}.`, api('PUT', `/roles/${seg(roleName.value)}`, { rules }));
  };

  const editor = h(
    'div',
    {},
    status,
    h(
      'div',
      { class: 'split' },
      h(
        'form',
        { id: 'user-form', class: 'card', onsubmit: addUser },
        h('h3', {}, 'Add a user'),
        field('User name', name),
        field('Password', password),
        field('Roles (comma-separated)', userRoles),
        h('div', { class: 'actions' }, h('button', { id: 'user-add', type: 'submit' }, 'Add user')),
      ),
      dataTable('users-table', 'Users', ['User', 'Roles', 'State', ''], userRows),
    ),
    h(
      'div',
      { class: 'split' },
      h(
        'form',
        { id: 'role-form', class: 'card', onsubmit: addRole },
        h('h3', {}, 'Add or replace a role'),
        field('Role name', roleName),
        field('ACL rules, one per line: allow|deny ACTION TOPIC', roleRules),
        h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Save role')),
      ),
      dataTable('roles-table', 'Roles', ['Role', 'Rules', ''], roleRows),
    ),
  );
  replace(root, h('h2', { tabindex: -1 }, 'Users and ACLs'), editor);
  void load();
  return () => {
    alive = false;
  };
}
