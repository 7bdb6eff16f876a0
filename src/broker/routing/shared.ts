import type { SubEntry } from './subscription.js';

/**
 * The members of one shared subscription (`$share/<group>/<filter>`). Messages go round robin to
 * members whose session is connected; when none is, to the next member (queued for it).
 */
export class SharedGroup {
  readonly members: SubEntry[] = [];
  private cursor = 0;
  /** `name` and `topicFilter` joined by a NUL: names the group across a cluster. */
  readonly key: string;

  constructor(
    readonly name: string,
    readonly topicFilter: string,
  ) {
    this.key = `${name}\0${topicFilter}`;
  }

  /** Picks the next member, preferring connected ones; `except` is skipped when possible. */
  pick(except?: SubEntry): SubEntry | undefined {
    const n = this.members.length;
    if (n === 0) return undefined;
    for (let i = 0; i < n; i++) {
      const idx = (this.cursor + i) % n;
      const m = this.members[idx] as SubEntry;
      if (m === except) continue;
      if (m.session.connection !== undefined) {
        this.cursor = (idx + 1) % n;
        return m;
      }
    }
    if (except !== undefined) return undefined;
    const m = this.members[this.cursor % n] as SubEntry;
    this.cursor = (this.cursor + 1) % n;
    return m;
  }

  /** The member belonging to the session with `clientId`, if any. */
  memberOf(clientId: string): SubEntry | undefined {
    for (const m of this.members) if (m.session.clientId === clientId) return m;
    return undefined;
  }

  remove(entry: SubEntry): void {
    const i = this.members.indexOf(entry);
    if (i >= 0) this.members.splice(i, 1);
  }
}
