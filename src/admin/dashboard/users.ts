// Users and ACLs. With dynamic security on (the API has /api/v1/users, as its OpenAPI document
// says), the editors of runtime users, roles and client-id rules; in every case the password and
// ACL files, re-read with POST /api/v1/broker/reload after an edit (`petrel passwd`), as SIGHUP
// does.
import { api } from './api.js';
import { errorText, h, replace, showStatus, statusLine } from './dom.js';
import { rulesEditors } from './roles-editor.js';
import { usersEditor } from './users-editor.js';

interface OpenApi {
  paths?: Record<string, unknown>;
}

/** Mounts the view into `root`. */
export function mountUsers(root: HTMLElement): () => void {
  const status = statusLine('users-status');
  const runtime = h('div', { id: 'users-runtime' }, h('p', { class: 'card' }, 'Checking the API…'));
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
      if (doc.paths?.['/api/v1/users'] === undefined) {
        replace(
          runtime,
          h(
            'p',
            { class: 'card missing' },
            'This broker has no runtime users, roles or ACL rules (started without --dynamic-security): users live in the password file and rules in the ACL file.',
          ),
        );
        return;
      }
      const editors = [usersEditor(status), ...rulesEditors(status)];
      replace(
        runtime,
        h(
          'p',
          { class: 'hint' },
          'Runtime users and rules (dynamic security) are kept in the broker’s store and apply at once. A name in the password file is the file’s; for each check the client id’s rules come first, then the roles’ in order, then the ACL file.',
        ),
        ...editors.map((e) => e.card),
      );
      for (const e of editors) e.refresh();
    },
    (err: unknown) => {
      if (alive)
        replace(
          runtime,
          h('p', { class: 'card' }, `Cannot read the API description: ${errorText(err)}`),
        );
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
    ),
    status,
  );
  return () => {
    alive = false;
  };
}
