// Least-recently-used order kept inside the records themselves (an intrusive doubly linked list):
// the failure windows and the account windows each keep theirs, so a failure of a tracked address
// or account is one Map lookup and a relink, never a Map delete and set to move it to the end.

/** A record that carries its neighbours in the order (prev: used earlier). */
export interface Linked<T> {
  prev: T | null;
  next: T | null;
}

export class RecencyList<T extends Linked<T>> {
  /** The least recently used, evicted first; null when empty. */
  head: T | null = null;
  /** The most recently used. */
  tail: T | null = null;

  /** Appends x as the most recently used. */
  push(x: T): void {
    x.prev = this.tail;
    x.next = null;
    if (this.tail === null) this.head = x;
    else this.tail.next = x;
    this.tail = x;
  }

  remove(x: T): void {
    if (x.prev === null) this.head = x.next;
    else x.prev.next = x.next;
    if (x.next === null) this.tail = x.prev;
    else x.next.prev = x.prev;
    x.prev = null;
    x.next = null;
  }
}
