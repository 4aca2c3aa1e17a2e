import { encodeBase64 } from "./base64.ts";

/**
 * Values shorter than this are not redacted: a 1-3 character secret ("on", "42", "abc") occurs all over
 * ordinary text, and replacing every occurrence would shred tool output while protecting almost nothing
 * (such a value can be guessed anyway).
 */
export const MIN_REDACTED_LENGTH = 4;

/** Below this, a value found in an object key is more likely a field name than a token (see #scrubKey). */
const KEY_NEEDLE_LENGTH = 16;

const encoder = new TextEncoder();

/**
 * Replaces injected secret values in text going back to a client with `[REDACTED:NAME]`.
 *
 * Each value is looked for as itself, base64 and base64url (padded and not) of its UTF-8 bytes,
 * `encodeURIComponent` (upper- and lower-case hex, and RFC 3986's stricter set), the form encoding
 * (`+` for space; also URLSearchParams' stricter form), and as it reads inside a JSON string (escaped
 * quotes and backslashes, `\/`, and `\uXXXX` for non-ASCII), since tool results often carry JSON text.
 * Base64 detection covers the value encoded alone: `Basic base64(user:pass)` is caught only when the
 * secret is exactly `user:pass`, and a value inside a larger base64 blob is not, since its encoding
 * then depends on the neighbouring bytes.
 */
export class Redactor {
  readonly #nameByNeedle = new Map<string, string>();
  // Zero-width lookahead, longest needle first: finds, at every position, the longest needle that
  // starts there, so overlapping secrets are all covered, not just the leftmost match.
  readonly #pattern: RegExp | null;
  readonly #keyPattern: RegExp | null;

  constructor(secrets: Record<string, string>) {
    for (const [name, value] of Object.entries(secrets)) {
      if (value.length < MIN_REDACTED_LENGTH) continue;
      for (const needle of variants(value)) {
        // Two secrets with one value: the first name wins; either label hides the value.
        if (!this.#nameByNeedle.has(needle)) this.#nameByNeedle.set(needle, name);
      }
    }
    const needles = [...this.#nameByNeedle.keys()].sort((a, b) => b.length - a.length);
    this.#pattern = needles.length === 0 ? null : new RegExp(`(?=(${needles.map(escapeRegExp).join("|")}))`, "g");
    const keyNeedles = needles.filter((needle) => needle.length >= KEY_NEEDLE_LENGTH);
    this.#keyPattern = keyNeedles.length === 0 ? null : new RegExp(keyNeedles.map(escapeRegExp).join("|"));
  }

  get isEmpty(): boolean {
    return this.#pattern === null;
  }

  scrubText(text: string): string {
    if (this.#pattern === null) return text;
    let out = "";
    let copiedTo = 0; // text before this index is already in `out`
    let regionStart = -1; // the redacted region being grown, or -1
    let regionEnd = -1;
    let names: string[] = [];
    for (const match of text.matchAll(this.#pattern)) {
      const needle = match[1] as string;
      const start = match.index;
      const end = start + needle.length;
      if (start < regionEnd) {
        // Overlaps the current region: extend it; a needle wholly inside adds no label.
        if (end > regionEnd) {
          regionEnd = end;
          addName(names, this.#nameByNeedle.get(needle) as string);
        }
        continue;
      }
      if (regionStart >= 0) {
        out += text.slice(copiedTo, regionStart) + label(names);
        copiedTo = regionEnd;
      }
      regionStart = start;
      regionEnd = end;
      names = [this.#nameByNeedle.get(needle) as string];
    }
    if (regionStart < 0) return text;
    return out + text.slice(copiedTo, regionStart) + label(names) + text.slice(regionEnd);
  }

  /**
   * Deep copy with every string scrubbed, object keys included (a server may key a map by a token).
   * Arrays and plain objects are rebuilt; anything else that is not a string is returned as is.
   */
  scrub<T>(value: T): T {
    if (this.#pattern === null) return value;
    return this.#walk(value, new Map()) as T;
  }

  /**
   * A key holding a token (a map keyed by it) is scrubbed, but only for a needle of at least
   * KEY_NEEDLE_LENGTH characters: a short value ("prod", "text") may equal a field name, and renaming
   * fields would break the structure a client reads. A scrubbed key that clashes with one already in
   * the copy gets a counter rather than overwrite it.
   */
  #scrubKey(key: string, copy: Record<string, unknown>): string {
    if (this.#keyPattern === null || !this.#keyPattern.test(key)) return key;
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

function variants(value: string): Set<string> {
  const base64 = encodeBase64(encoder.encode(value));
  const base64Url = base64.replaceAll("+", "-").replaceAll("/", "_");
  const uri = encodeURIComponent(value);
  const json = JSON.stringify(value).slice(1, -1);
  const found = new Set([
    value,
    base64,
    base64.replace(/=+$/, ""),
    base64Url,
    base64Url.replace(/=+$/, ""),
    uri,
    uri.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    uri.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
    uri.replaceAll("%20", "+"),
    new URLSearchParams([["", value]]).toString().slice(1),
    json,
    json.replaceAll("/", "\\/"),
    json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  ]);
  return found;
}

function addName(names: string[], name: string): void {
  if (!names.includes(name)) names.push(name);
}

function label(names: string[]): string {
  return `[REDACTED:${names.join(",")}]`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
