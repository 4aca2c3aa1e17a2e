import { AhoCorasick } from "./aho-corasick.ts";
import { variants } from "./redaction-variants.ts";

/**
 * Values shorter than this are not redacted: a 1-3 character secret ("on", "42", "abc") occurs all over
 * ordinary text, and replacing every occurrence would shred tool output while protecting almost nothing
 * (such a value can be guessed anyway).
 */
export const MIN_REDACTED_LENGTH = 4;

/** Below this, a value found in an object key is more likely a field name than a token (see #scrubKey). */
const KEY_NEEDLE_LENGTH = 16;

/** One form of one secret, as the automata report it. */
interface Needle {
  length: number;
  name: string;
}

/** A stretch of text to replace: overlapping matches merge into one, labelled with every secret that shaped it. */
interface Region {
  start: number;
  end: number;
  names: string[];
}

/**
 * Replaces injected secret values in text going back to a client with `[REDACTED:NAME]`, in each of
 * the forms `variants` lists. Base64 detection covers the value encoded alone: `Basic
 * base64(user:pass)` is caught only when the secret is exactly `user:pass`, and a value inside a
 * larger base64 blob is not, since its encoding then depends on the neighbouring bytes.
 *
 * Built once per downstream connection; each scrub is one pass of each automaton over the text, so its
 * cost grows with the text, not with the length or number of the secrets.
 */
export class Redactor {
  readonly #automata: { automaton: AhoCorasick; first: number }[] = [];
  /** Every automaton's needles, each automaton's from its `first`. */
  readonly #needles: Needle[] = [];

  constructor(secrets: Record<string, string>) {
    const exact = new Map<string, string>();
    const hexDigits = new Map<string, string>();
    for (const [name, value] of Object.entries(secrets)) {
      if (value.length < MIN_REDACTED_LENGTH) continue;
      const forms = variants(value);
      // Two secrets with one value: the first name wins; either label hides the value.
      for (const needle of forms.exact) if (!exact.has(needle)) exact.set(needle, name);
      for (const needle of forms.hexDigits) if (!hexDigits.has(needle)) hexDigits.set(needle, name);
    }
    for (const [needles, fold] of [[exact, false], [hexDigits, true]] as const) {
      if (needles.size === 0) continue;
      this.#automata.push({ automaton: new AhoCorasick([...needles.keys()], fold), first: this.#needles.length });
      for (const [needle, name] of needles) this.#needles.push({ length: needle.length, name });
    }
  }

  get isEmpty(): boolean {
    return this.#automata.length === 0;
  }

  scrubText(text: string): string {
    return this.isEmpty ? text : (this.scrubParts([text])[0] as string);
  }

  /**
   * Scrubs strings a client reads as one text (the text items of one content array), so a secret split
   * across two of them is found too. Each region's label goes in the part where it starts; the rest of
   * the region is cut from the parts it runs into. The result has one string per part.
   */
  scrubParts(parts: readonly string[]): string[] {
    if (this.isEmpty) return [...parts];
    const joined = parts.join("");
    const regions = this.#regions(joined);
    const out: string[] = [];
    let offset = 0;
    let r = 0;
    for (const part of parts) {
      const end = offset + part.length;
      let piece = "";
      for (let pos = offset; pos < end; ) {
        while (r < regions.length && regions[r]!.end <= pos) r++;
        const region = regions[r];
        if (region === undefined || region.start >= end) {
          piece += joined.slice(pos, end);
          break;
        }
        if (region.start > pos) piece += joined.slice(pos, region.start);
        if (region.start >= pos) piece += label(region.names);
        pos = Math.min(region.end, end);
      }
      out.push(piece);
      offset = end;
    }
    return out;
  }

  /**
   * The regions to replace: at each position the longest needle starting there (at least `minLength`
   * long), overlapping ones merged in order of start, a needle wholly inside another adding no label.
   * Kept per position, not per match, so a text that matches at every position costs one more pass.
   */
  #regions(text: string, minLength = 0): Region[] {
    // 1 + the index of the longest needle starting at each position; allocated once something matches.
    let longest: Int32Array | null = null;
    for (const { automaton, first } of this.#automata) {
      automaton.forEachMatch(text, (start, index) => {
        const needle = first + index;
        if (this.#needles[needle]!.length < minLength) return;
        longest ??= new Int32Array(text.length);
        const current = longest[start]!;
        if (current === 0 || this.#needles[needle]!.length > this.#needles[current - 1]!.length) longest[start] = needle + 1;
      });
    }
    if (longest === null) return [];
    const regions: Region[] = [];
    for (let start = 0; start < text.length; start++) {
      const index = longest[start]!;
      if (index === 0) continue;
      const needle = this.#needles[index - 1]!;
      const end = start + needle.length;
      const last = regions.at(-1);
      if (last === undefined || start >= last.end) regions.push({ start, end, names: [needle.name] });
      else if (end > last.end) {
        last.end = end;
        if (!last.names.includes(needle.name)) last.names.push(needle.name);
      }
    }
    return regions;
  }

  /**
   * Deep copy with every string scrubbed, object keys included (a server may key a map by a token).
   * Arrays and plain objects are rebuilt; anything else that is not a string is returned as is.
   */
  scrub<T>(value: T): T {
    if (this.isEmpty) return value;
    return this.#walk(value, new Map()) as T;
  }

  /**
   * A key holding a token (a map keyed by it) is scrubbed, but only for a needle of at least
   * KEY_NEEDLE_LENGTH characters: a short value ("prod", "text") may equal a field name, and renaming
   * fields would break the structure a client reads. A scrubbed key that clashes with one already in
   * the copy gets a counter rather than overwrite it.
   */
  #scrubKey(key: string, copy: Record<string, unknown>): string {
    if (this.#regions(key, KEY_NEEDLE_LENGTH).length === 0) return key;
    const scrubbed = this.scrubText(key);
    let unique = scrubbed;
    for (let n = 2; Object.hasOwn(copy, unique); n++) unique = `${scrubbed}#${n}`;
    return unique;
  }

  #walk(value: unknown, seen: Map<object, unknown>): unknown {
    if (typeof value === "string") return this.scrubText(value);
    if (typeof value !== "object" || value === null) return value;
    const done = seen.get(value);
    if (done !== undefined) return done; // shared or cyclic references stay shared, and terminate
    if (Array.isArray(value)) {
      const copy: unknown[] = [];
      seen.set(value, copy);
      for (const item of value) copy.push(this.#walk(item, seen));
      return copy;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return value;
    const copy: Record<string, unknown> = {};
    seen.set(value, copy);
    for (const [key, item] of Object.entries(value)) {
      // Defined, not assigned: a "__proto__" key must stay a key, not become the copy's prototype.
      Object.defineProperty(copy, this.#scrubKey(key, copy), { value: this.#walk(item, seen), enumerable: true, writable: true, configurable: true });
    }
    return copy;
  }
}

function label(names: string[]): string {
  return `[REDACTED:${names.join(",")}]`;
}
