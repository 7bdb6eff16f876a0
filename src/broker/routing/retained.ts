import type { Message } from '../message.js';

class RetainNode {
  children: Map<string, RetainNode> | undefined = undefined;
  message: Message | undefined = undefined;
  constructor(
    readonly parent: RetainNode | undefined,
    readonly key: string,
  ) {}
}

/**
 * Retained messages indexed by topic level, so a wildcard filter visits only the branches it can
 * match instead of scanning every retained topic.
 */
export class RetainedIndex {
  private readonly root = new RetainNode(undefined, '');
  private total = 0;
  private sysCount = 0;

  /** Retained messages stored, `$SYS` ones excluded. */
  get count(): number {
    return this.total - this.sysCount;
  }

  /** Stores `message` under its topic, or deletes the topic's message when `message` is undefined. Returns the replaced message. */
  set(levels: string[], message: Message | undefined): Message | undefined {
    let node = this.root;
    for (const level of levels) {
      let next = node.children?.get(level);
      if (next === undefined) {
        if (message === undefined) return undefined;
        next = new RetainNode(node, level);
        if (node.children === undefined) node.children = new Map();
        node.children.set(level, next);
      }
      node = next;
    }
    const old = node.message;
    const sys = levels[0] === '$SYS';
    if (old !== undefined) {
      this.total--;
      if (sys) this.sysCount--;
    }
    node.message = message;
    if (message !== undefined) {
      this.total++;
      if (sys) this.sysCount++;
    } else this.prune(node);
    return old;
  }

  /** The retained message of an exact topic. */
  get(levels: string[]): Message | undefined {
    let node: RetainNode | undefined = this.root;
    for (const level of levels) {
      node = node.children?.get(level);
      if (node === undefined) return undefined;
    }
    return node.message;
  }

  /** Appends every retained message matching `filter` to `out`. */
  match(filter: string, out: Message[]): Message[] {
    this.walk(this.root, filter.split('/'), 0, out);
    return out;
  }

  /** Every retained message (for persistence and tests). */
  *all(): IterableIterator<Message> {
    const stack: RetainNode[] = [this.root];
    for (let n = stack.pop(); n !== undefined; n = stack.pop()) {
      if (n.message !== undefined) yield n.message;
      if (n.children !== undefined) for (const c of n.children.values()) stack.push(c);
    }
  }

  private walk(node: RetainNode, f: string[], i: number, out: Message[]): void {
    if (i === f.length) {
      if (node.message !== undefined) out.push(node.message);
      return;
    }
    const level = f[i] as string;
    if (level === '#') {
      // 'a/#' also matches 'a' itself.
      if (i > 0 && node.message !== undefined) out.push(node.message);
      this.collectAll(node, i === 0, out);
      return;
    }
    if (level === '+') {
      if (node.children === undefined) return;
      for (const [key, child] of node.children) {
        if (i === 0 && key.charCodeAt(0) === 36) continue; // [MQTT-4.7.2-1]
        this.walk(child, f, i + 1, out);
      }
      return;
    }
    const child = node.children?.get(level);
    if (child !== undefined) this.walk(child, f, i + 1, out);
  }

  private collectAll(node: RetainNode, skipDollar: boolean, out: Message[]): void {
    if (node.children === undefined) return;
    for (const [key, child] of node.children) {
      if (skipDollar && key.charCodeAt(0) === 36) continue;
      if (child.message !== undefined) out.push(child.message);
      this.collectAll(child, false, out);
    }
  }

  private prune(node: RetainNode): void {
    let n: RetainNode | undefined = node;
    while (
      n !== undefined &&
      n.parent !== undefined &&
      n.message === undefined &&
      (n.children === undefined || n.children.size === 0)
    ) {
      n.parent.children?.delete(n.key);
      n = n.parent;
    }
  }
}
