import { encodeBase64 } from "./base64.ts";

const encoder = new TextEncoder();

export interface Variants {
  /** Forms whose letters are part of the secret: matched exactly. */
  exact: Set<string>;
  /** Forms made only of hex digits and fixed punctuation: matched in either case, mixed too. */
  hexDigits: Set<string>;
}

/**
 * The forms a value takes in text a downstream sends back: itself; base64 and base64url (padded and
 * not) of its UTF-8 bytes; `encodeURIComponent` (upper- and lower-case hex, and RFC 3986's stricter
 * set); the form encoding (`+` for space, and URLSearchParams' stricter set); as it reads inside a JSON
 * string (escaped quotes and backslashes, `\/`, `\uXXXX` for non-ASCII); and the forms that spell out
 * every unit: hex of the UTF-8 bytes, `%XX` for every byte, `\uXXXX` for every character.
 */
export function variants(value: string): Variants {
  const bytes = encoder.encode(value);
  const base64 = encodeBase64(bytes);
  const base64Url = base64.replaceAll("+", "-").replaceAll("/", "_");
  const uri = encodeURIComponent(value);
  const json = JSON.stringify(value).slice(1, -1);
  const nonAsciiEscaped = (hex: (c: string) => string) => json.replace(/[\u0080-\uffff]/g, (c) => `\\u${hex(c)}`);
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, "0"));
  const unitHex = (c: string) => c.charCodeAt(0).toString(16).padStart(4, "0");
  return {
    exact: new Set([
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
      nonAsciiEscaped(unitHex),
      nonAsciiEscaped((c) => unitHex(c).toUpperCase()),
    ]),
    hexDigits: new Set([hex.join(""), hex.map((h) => `%${h}`).join(""), value.replace(/[\s\S]/g, (unit) => `\\u${unitHex(unit)}`)]),
  };
}
