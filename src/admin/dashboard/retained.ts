// The retained messages as a topic tree (GET /api/v1/retained?filter=…), one level per node;
// choosing a topic shows its payload (GET /api/v1/retained/{topic}) and offers to delete it.
// Branches are <details> elements, so the tree opens and closes from the keyboard as well.
import { api } from './api.js';
import { errorText, field, h, replace, showStatus, statusLine } from './dom.js';
import { fromBase64, preview } from './payload.js';
import type { Page, RetainedMessage, RetainedSummary } from './shapes.js';

/** Retained messages listed at most (the filter narrows a larger set). */
const LIMIT = 1000;
/** Payload bytes shown in the preview. */
const PREVIEW = 4096;

/** The query naming one retained topic (topics hold '/', so not a path segment). */
function topicQuery(topic: string): URLSearchParams {
  return new URLSearchParams({ topic });
}

interface TreeNode {
  children: Map<string, TreeNode>;
  message?: RetainedSummary;
}

function buildTree(items: RetainedSummary[]): TreeNode {
  const root: TreeNode = { children: new Map() };
  for (const m of items) {
    let node = root;
    for (const level of m.topic.split('/')) {
      let next = node.children.get(level);
      if (next === undefined) {
        next = { children: new Map() };
        node.children.set(level, next);
      }
      node = next;
    }
    node.message = m;
  }
  return root;
}

/** Mounts the retained-message tree into `root`. */
export function mountRetained(root: HTMLElement): () => void {
  const filter = h('input', { id: 'retained-filter', value: '#', autocomplete: 'off' });
  const status = statusLine('retained-status');
  const tree = h('div', { id: 'retained-tree', class: 'tree' });
  const detail = h('section', { id: 'retained-detail', 'aria-label': 'Retained message' });
  let alive = true;

  const show = async (topic: string): Promise<void> => {
    try {
      const m = await api<RetainedMessage>('GET', `/retained/message?${topicQuery(topic)}`);
      if (!alive) return;
      const bytes = fromBase64(m.payloadBase64);
      const del = h('button', { type: 'button', class: 'danger' }, 'Delete retained message');
      del.addEventListener('click', () => {
        api('DELETE', `/retained/message?${topicQuery(topic)}`).then(
          () => {
            replace(detail);
            // After the reload, whose own status line would replace this one.
            void load().then(() =>
              showStatus(status, `Deleted the retained message of ${topic}.`, false),
            );
          },
          (err: unknown) => showStatus(status, errorText(err)),
        );
      });
      replace(
        detail,
        h('h3', { tabindex: -1 }, m.topic),
        h('p', { class: 'hint' }, `QoS ${m.qos}, ${bytes.length} bytes`),
        h('pre', { class: 'payload', id: 'retained-payload' }, preview(bytes, PREVIEW)),
        h('div', { class: 'actions' }, del),
      );
      detail.querySelector('h3')?.focus();
    } catch (err) {
      showStatus(status, errorText(err));
    }
  };

  // `prefix` is the topic of `node`, undefined for the root (whose children are first levels).
  const render = (node: TreeNode, prefix: string | undefined): HTMLElement => {
    const list = h('ul');
    const names = [...node.children.keys()].sort();
    for (const name of names) {
      const child = node.children.get(name) as TreeNode;
      const topic = prefix === undefined ? name : `${prefix}/${name}`;
      const label = name === '' ? '(empty level)' : name;
      const open =
        child.message === undefined
          ? null
          : h(
              'button',
              { type: 'button', class: 'topic', 'data-topic': topic, title: topic },
              `${label} (${child.message.bytes} B)`,
            );
      open?.addEventListener('click', () => void show(topic));
      if (child.children.size === 0) list.appendChild(h('li', {}, open));
      else {
        list.appendChild(
          h('li', {}, h('details', {}, h('summary', {}, `${label}/`), open, render(child, topic))),
        );
      }
    }
    return list;
  };

  // Only the newest request may draw: a slow answer for an earlier filter (the first load's
  // `#`) must not replace the tree of the filter asked for since.
  let generation = 0;
  const load = async (e?: Event): Promise<void> => {
    e?.preventDefault();
    const mine = ++generation;
    const q = new URLSearchParams({ filter: filter.value === '' ? '#' : filter.value });
    q.set('limit', String(LIMIT));
    try {
      const page = await api<Page<RetainedSummary>>('GET', `/retained?${q}`);
      if (!alive || mine !== generation) return;
      replace(tree, render(buildTree(page.items), undefined));
      const more =
        page.next === undefined ? '' : ` (the first ${page.items.length}: narrow the filter)`;
      showStatus(
        status,
        page.items.length === 0
          ? 'No retained messages match.'
          : `${page.items.length} topics${more}.`,
        false,
      );
    } catch (err) {
      if (alive && mine === generation) showStatus(status, errorText(err));
    }
  };

  replace(
    root,
    h('h2', { tabindex: -1 }, 'Retained messages'),
    h(
      'form',
      { class: 'toolbar', onsubmit: (e: Event) => void load(e) },
      field('Topic filter', filter),
      h('button', { type: 'submit' }, 'List'),
    ),
    status,
    h('div', { class: 'split' }, tree, detail),
  );
  void load();
  return () => {
    alive = false;
  };
}
