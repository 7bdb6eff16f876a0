// The bearer token for an admin listener that requires one (docs/admin.md, Security), sent in
// the Authorization header of each request (never a cookie).
import { hasAuthorization, setAuthorization, whenUnauthorized } from './api.js';
import { field, h, replace, showStatus, statusLine } from './dom.js';

/** The view to return to after signing in. */
let back = 'overview';

whenUnauthorized(() => {
  const here = location.hash.slice(1);
  if (here === 'sign-in') return;
  back = here === '' ? 'overview' : here;
  location.hash = 'sign-in';
});

/** Mounts the sign-in form into `root`. */
export function mountSignIn(root: HTMLElement): () => void {
  const token = h('input', {
    id: 'signin-token',
    type: 'password',
    required: true,
    autocomplete: 'off',
  });
  const onSubmit = (e: Event): void => {
    e.preventDefault();
    setAuthorization(`Bearer ${token.value}`);
    // A fresh start, so that what the page read at start (the broker summary) is read again.
    location.replace(`#${back}`);
    location.reload();
  };
  const status = statusLine('signin-status');
  if (hasAuthorization()) showStatus(status, 'The API refused this token.');
  replace(
    root,
    h('h2', { tabindex: -1 }, 'Sign in'),
    h(
      'p',
      { class: 'hint' },
      'This admin listener asks for a bearer token (one of http.tokens or http.tokenFile).',
    ),
    h(
      'form',
      { class: 'card', onsubmit: onSubmit },
      field('Bearer token', token),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
      status,
    ),
  );
  return () => undefined;
}
