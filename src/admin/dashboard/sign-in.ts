// Credentials for an admin listener that requires them: a bearer token or an admin user's name
// and password, sent in the Authorization header of each request (never a cookie).
import { setAuthorization, whenUnauthorized } from './api.js';
import { field, h, replace } from './dom.js';

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
  const token = h('input', { id: 'signin-token', type: 'password', autocomplete: 'off' });
  const user = h('input', { id: 'signin-user', autocomplete: 'username' });
  const password = h('input', {
    id: 'signin-password',
    type: 'password',
    autocomplete: 'current-password',
  });
  const onSubmit = (e: Event): void => {
    e.preventDefault();
    if (token.value !== '') setAuthorization(`Bearer ${token.value}`);
    else if (user.value !== '') {
      // btoa takes Latin-1 only: encode the UTF-8 bytes first.
      const bytes = new TextEncoder().encode(`${user.value}:${password.value}`);
      setAuthorization(`Basic ${btoa(String.fromCharCode(...bytes))}`);
    } else setAuthorization(undefined);
    location.hash = back;
  };
  replace(
    root,
    h('h2', { tabindex: -1 }, 'Sign in'),
    h(
      'p',
      { class: 'hint' },
      'This admin listener asks for credentials: give a bearer token, or an admin user and password.',
    ),
    h(
      'form',
      { class: 'card', onsubmit: onSubmit },
      field('Bearer token', token),
      field('Admin user', user),
      field('Password', password),
      h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Sign in')),
    ),
  );
  return () => undefined;
}
