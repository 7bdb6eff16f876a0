// Building DOM nodes without a framework: one element helper, text by `textContent` only (never
// innerHTML, so topic names and payloads from clients can never inject markup).

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** An element with attributes (`on…` keys add listeners, `false`/undefined skip) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

/** Appends children, skipping empty ones. */
export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Node, ...children: Child[]): void {
  parent.textContent = '';
  append(parent, children);
}

/** A labelled form field: the label's `for` points at the control's id. */
export function field(label: string, control: HTMLElement): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
}

/**
 * A table with a caption and column headings; rows go into `body`. Each cell gets its column's
 * heading as `data-label`, which the phone layout (style.css) shows beside the value when it
 * stacks a row's cells as a card.
 */
export function dataTable(
  id: string,
  caption: string,
  heads: string[],
  body: HTMLTableSectionElement,
): HTMLElement {
  const label = (): void => {
    for (const row of body.rows) {
      for (const cell of row.cells) cell.dataset.label = heads[cell.cellIndex] ?? '';
    }
  };
  label();
  new MutationObserver(label).observe(body, { childList: true });
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id },
      h('caption', { class: 'hint' }, caption),
      h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', { scope: 'col' }, t)))),
      body,
    ),
  );
}

/** A status line for errors and results, read out by screen readers when it changes. */
export function statusLine(id: string): HTMLElement {
  return h('p', { id, class: 'status', role: 'status', 'aria-live': 'polite' });
}

/** Shows an error (or clears it with undefined) in a status line. */
export function showStatus(el: HTMLElement, message: string | undefined, isError = true): void {
  el.textContent = message ?? '';
  el.classList.toggle('error', isError && message !== undefined);
}

/** A date-time in the reader's locale, or a dash. */
export function when(ms: number | string | undefined): string {
  if (ms === undefined) return '–';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '–' : d.toLocaleString();
}

/** The message of any thrown value. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Shows `done` in `status` once `call` succeeded, then runs `then`; shows the error otherwise. */
export function settle(
  call: Promise<unknown>,
  status: HTMLElement,
  done: string,
  then: () => void,
): void {
  call.then(
    () => {
      showStatus(status, done, false);
      then();
    },
    (err: unknown) => showStatus(status, errorText(err)),
  );
}

/** A form with a heading, its fields and a submit button labelled `submit`. */
export function form(
  id: string,
  title: string,
  onsubmit: (e: Event) => void,
  fields: Node[],
  submit: string,
): HTMLFormElement {
  return h(
    'form',
    { id, onsubmit: onsubmit as EventListener, 'aria-label': title },
    h('h4', {}, title),
    ...fields,
    h('button', { type: 'submit' }, submit),
  );
}
