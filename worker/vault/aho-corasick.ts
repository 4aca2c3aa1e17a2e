/**
 * Aho-Corasick over UTF-16 code units: one pass over a text finds every occurrence of every needle, so
 * the work is linear in the text whatever the needles' lengths and count (a regex alternation of long
 * needles retries each one at every position).
 *
 * The trie is kept in flat arrays, children as sibling lists: a needle of thousands of characters is
 * a chain of single-child states, and a Map per state would cost far more memory than the needles do.
 * Only the root, where every mismatch lands, gets direct lookups: a table for ASCII, a Map for the rest.
 */
export class AhoCorasick {
  readonly #char: number[] = [0];
  readonly #firstChild: number[] = [-1];
  readonly #nextSibling: number[] = [-1];
  readonly #depth: number[] = [0];
  /** Index of the needle that ends at a state, or -1. */
  readonly #needleAt: number[] = [-1];
  readonly #fail: Int32Array;
  /** The nearest state on the failure chain where a needle ends (0, the root, for none). */
  readonly #output: Int32Array;
  readonly #rootAscii = new Int32Array(128);
  readonly #rootOther = new Map<number, number>();
  readonly #fold: boolean;

  /**
   * `fold`: ASCII letters match either case (needles and text are compared lower-cased); non-ASCII
   * characters are compared exactly, so positions in the text never shift.
   */
  constructor(needles: readonly string[], fold = false) {
    this.#fold = fold;
    needles.forEach((needle, index) => this.#insert(needle, index));
    const states = this.#char.length;
    this.#fail = new Int32Array(states);
    this.#output = new Int32Array(states);
    for (let c = 0; c < 128; c++) this.#rootAscii[c] = this.#child(0, c);
    for (let s = this.#firstChild[0]!; s >= 0; s = this.#nextSibling[s]!) if (this.#char[s]! >= 128) this.#rootOther.set(this.#char[s]!, s);
    this.#link();
  }

  /** Calls `found(start, needle)` for every occurrence, in order of where it ends. */
  forEachMatch(text: string, found: (start: number, needle: number) => void): void {
    let state = 0;
    for (let i = 0; i < text.length; i++) {
      const c = this.#code(text.charCodeAt(i));
      state = this.#step(state, c);
      for (let s = this.#needleAt[state]! >= 0 ? state : this.#output[state]!; s > 0; s = this.#output[s]!) {
        found(i + 1 - this.#depth[s]!, this.#needleAt[s]!);
      }
    }
  }

  #code(c: number): number {
    return this.#fold && c >= 65 && c <= 90 ? c + 32 : c;
  }

  #insert(needle: string, index: number): void {
    let state = 0;
    for (let i = 0; i < needle.length; i++) {
      const c = this.#code(needle.charCodeAt(i));
      let next = this.#child(state, c);
      if (next < 0) {
        next = this.#char.length;
        this.#char.push(c);
        this.#firstChild.push(-1);
        this.#nextSibling.push(this.#firstChild[state]!);
        this.#depth.push(i + 1);
        this.#needleAt.push(-1);
        this.#firstChild[state] = next;
      }
      state = next;
    }
    // Needles equal after folding: the first one keeps the state.
    if (this.#needleAt[state]! < 0) this.#needleAt[state] = index;
  }

  #child(state: number, c: number): number {
    for (let s = this.#firstChild[state]!; s >= 0; s = this.#nextSibling[s]!) if (this.#char[s] === c) return s;
    return -1;
  }

  /** The automaton's transition: the longest needle prefix that is a suffix of what has been read. */
  #step(state: number, c: number): number {
    for (let s = state; s > 0; s = this.#fail[s]!) {
      const next = this.#child(s, c);
      if (next >= 0) return next;
    }
    return c < 128 ? Math.max(this.#rootAscii[c]!, 0) : (this.#rootOther.get(c) ?? 0);
  }

  /** Failure and output links, breadth first so every shallower state is linked before it is used. */
  #link(): void {
    const queue: number[] = [];
    for (let s = this.#firstChild[0]!; s >= 0; s = this.#nextSibling[s]!) queue.push(s);
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head]!;
      const fail = this.#fail[state]!;
      this.#output[state] = this.#needleAt[fail]! >= 0 ? fail : this.#output[fail]!;
      for (let child = this.#firstChild[state]!; child >= 0; child = this.#nextSibling[child]!) {
        this.#fail[child] = this.#step(fail, this.#char[child]!);
        queue.push(child);
      }
    }
  }
}
