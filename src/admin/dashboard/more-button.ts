// The "More" button of paged lists (clients, sessions): the API pages with a cursor (`next`),
// and the button asks for the page after the rows shown.
import { h } from './dom.js';

/** A "More" button, hidden until a page says there is a next one. */
export function moreButton(id: string): HTMLButtonElement {
  return h('button', { id, type: 'button', class: 'secondary', hidden: true }, 'More');
}
