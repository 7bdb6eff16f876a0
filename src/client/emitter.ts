// A tiny typed event emitter: the client must run in a browser without Node's `events` module.

type Listener<A extends unknown[]> = (...args: A) => void;

/** Typed event emitter; `E` maps event names to listener argument tuples. */
export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  private listeners = new Map<keyof E, Array<Listener<never[]>>>();

  /** Adds a listener. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, [listener as unknown as Listener<never[]>]);
    else list.push(listener as unknown as Listener<never[]>);
    return this;
  }

  /** Adds a listener called at most once. */
  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const wrapper = (...args: E[K]): void => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.listeners.get(event);
    if (list === undefined) return this;
    const i = list.indexOf(listener as unknown as Listener<never[]>);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.listeners.delete(event);
    return this;
  }

  /** Number of listeners for an event. */
  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.listeners.get(event);
    if (list === undefined) return false;
    // Copy: a listener may remove itself (once) while we iterate.
    for (const l of list.slice()) (l as unknown as Listener<E[K]>)(...args);
    return true;
  }
}
