// Users and ACLs. The admin API has no runtime users, roles or ACL rules yet (issue 15 asks for
// them; the view reads /api/v1/openapi.json to say whether they exist), so this view manages
// what exists: the password and ACL files, re-read with POST /api/v1/broker/reload after an edit
// (`petrel passwd`), as SIGHUP does.
import { api } from './api.js';
import { errorText, h, replace, showStatus, statusLine } from './dom.js';

interface OpenApi {
  paths?: Record<string, unknown>;
}

/** Mounts the view into `root`. */
export function mountUsers(root: HTMLElement): () => void {
  const status = statusLine('users-status');
  const runtime = h('p', { id: 'users-runtime', class: 'card missing' }, 'Checking the API…');
  const reload = h('button', { id: 'users-reload', type: 'button' }, 'Reload files');
  let alive = true;

  reload.addEventListener('click', () => {
    reload.disabled = true;
    api('POST', '/broker/reload').then(
      () => {
        reload.disabled = false;
        showStatus(
          status,
          'Reloaded: the broker re-read its configuration, password file and ACL.',
          false,
        );
      },
      (err: unknown) => {
        reload.disabled = false;
        showStatus(status, errorText(err));
      },
    );
  });

  api<OpenApi>('GET', '/openapi.json').then(
    (doc) => {
      if (!alive) return;
      runtime.textContent =
        doc.paths?.['/api/v1/users'] === undefined
          ? "This broker's admin API has no runtime users, roles or ACL rules (no /api/v1/users): users live in the password file and rules in the ACL file."
          : 'The admin API has runtime users (/api/v1/users); this dashboard does not edit them yet: use the API.';
    },
    (err: unknown) => {
      if (alive) runtime.textContent = `Cannot read the API description: ${errorText(err)}`;
    },
  );

  replace(
    root,
    h('h2', { tabindex: -1 }, 'Users and ACLs'),
    runtime,
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'users-files' },
      h('h3', { id: 'users-files' }, 'Password and ACL files'),
      h(
        'p',
        { class: 'hint' },
        'Add or change a user with "petrel passwd FILE USER", remove one with "petrel passwd -D FILE USER", edit the ACL file, then reload: new connections use the new users at once, and subscriptions the new ACL no longer grants are removed.',
      ),
      h('div', { class: 'actions' }, reload),
      status,
    ),
  );
  return () => {
    alive = false;
  };
}
