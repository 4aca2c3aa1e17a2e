import { describe, expect, it } from "vitest";
import { Redactor } from "./redactor.ts";

function b64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

describe("Redactor", () => {
  const token = "ghp_abc+/?def 123"; // has base64url-sensitive output, URL-reserved characters and a space
  const redactor = new Redactor({ TOKEN: token });

  it("replaces the plain value", () => {
    expect(redactor.scrubText(`auth: ${token}; again ${token}`)).toBe("auth: [REDACTED:TOKEN]; again [REDACTED:TOKEN]");
  });

  it("replaces base64 and base64url, padded or not", () => {
    const value = "s3cr3t-value!"; // 13 bytes: padded base64 ends in "="
    const r = new Redactor({ S: value });
    const std = b64(value);
    const url = std.replaceAll("+", "-").replaceAll("/", "_");
    expect(std).toMatch(/=$/);
    for (const form of [std, std.replace(/=+$/, ""), url, url.replace(/=+$/, "")]) {
      expect(r.scrubText(`x ${form} y`), form).toBe("x [REDACTED:S] y");
    }
    // A value whose base64 and base64url differ.
    const tricky = "\u00ff\u00fe\u00fd>>>?";
    const t = new Redactor({ T: tricky });
    const tStd = b64(tricky);
    const tUrl = tStd.replaceAll("+", "-").replaceAll("/", "_");
    expect(tStd).not.toBe(tUrl);
    expect(t.scrubText(`${tStd} ${tUrl} ${tUrl.replace(/=+$/, "")}`)).toBe("[REDACTED:T] [REDACTED:T] [REDACTED:T]");
  });

  it("replaces URL- and form-encoded forms", () => {
    const uri = encodeURIComponent(token);
    expect(uri).not.toBe(token);
    expect(redactor.scrubText(`https://x/?t=${uri}&a=1`)).toBe("https://x/?t=[REDACTED:TOKEN]&a=1");
    expect(redactor.scrubText(`t=${uri.replaceAll("%20", "+")}`)).toBe("t=[REDACTED:TOKEN]");
    expect(redactor.scrubText(new URLSearchParams({ t: token }).toString())).toBe("t=[REDACTED:TOKEN]");
  });

  it("scrubs every string inside nested objects and arrays, keys included, leaving other values", () => {
    const input = {
      [token]: 1,
      list: [token, { deep: `Bearer ${token}`, n: 5, ok: true, none: null }],
      b: b64(token),
    };
    const output = redactor.scrub(input);
    expect(output).toEqual({
      "[REDACTED:TOKEN]": 1,
      list: ["[REDACTED:TOKEN]", { deep: "Bearer [REDACTED:TOKEN]", n: 5, ok: true, none: null }],
      b: "[REDACTED:TOKEN]",
    });
    expect(output).not.toBe(input);
    expect(input.list[0]).toBe(token); // the input is not modified
  });

  it("finds a value as it reads inside JSON text, and in stricter or lower-case percent-encoding", () => {
    const quirky = new Redactor({ Q: 'pa"ss\\wörd/1 (x)!' });
    const value = 'pa"ss\\wörd/1 (x)!';
    const asJson = JSON.stringify({ h: value });
    const withEscapedSlashes = asJson.replaceAll("/", "\\/");
    const asciiOnly = asJson.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    const lowerHex = encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
    const strict = encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    for (const text of [asJson, withEscapedSlashes, asciiOnly, `q=${lowerHex}`, `q=${strict}`]) {
      expect(quirky.scrubText(text), text).toContain("[REDACTED:Q]");
      expect(quirky.scrubText(text), text).not.toContain("ss");
    }
  });

  it("leaves field names alone for a short value, and never lets two scrubbed keys overwrite each other", () => {
    const short = new Redactor({ ENV: "text" });
    expect(short.scrub({ content: [{ type: "text", text: "plain text" }] })).toEqual({
      content: [{ type: "[REDACTED:ENV]", text: "plain [REDACTED:ENV]" }],
    });
    const clash = redactor.scrub({ "[REDACTED:TOKEN]": "already", [token]: "mine" });
    expect(clash).toEqual({ "[REDACTED:TOKEN]": "already", "[REDACTED:TOKEN]#2": "mine" });
  });

  it("keeps a __proto__ key a key", () => {
    const parsed = JSON.parse(`{"__proto__": {"t": "${token}"}, "x": 1}`) as Record<string, unknown>;
    const output = redactor.scrub(parsed);
    expect(Object.keys(output)).toEqual(["__proto__", "x"]);
    expect(JSON.stringify(output)).toBe('{"__proto__":{"t":"[REDACTED:TOKEN]"},"x":1}');
  });

  it("handles secrets that contain or overlap each other", () => {
    const r = new Redactor({ LONG: "password1234", SHORT: "word", TAIL: "1234xyz" });
    expect(r.scrubText("a password1234 b")).toBe("a [REDACTED:LONG] b");
    expect(r.scrubText("a word b")).toBe("a [REDACTED:SHORT] b");
    // LONG and TAIL overlap: no part of either survives.
    expect(r.scrubText("a password1234xyz b")).toBe("a [REDACTED:LONG,TAIL] b");
    expect(r.scrubText("swordfish password1234")).toBe("s[REDACTED:SHORT]fish [REDACTED:LONG]");
  });

  it("leaves values shorter than four characters alone", () => {
    const r = new Redactor({ PIN: "123", FLAG: "on", EMPTY: "" });
    expect(r.isEmpty).toBe(true);
    expect(r.scrubText("on 123 on")).toBe("on 123 on");
    const input = { a: "123" };
    expect(r.scrub(input)).toBe(input);
    expect(new Redactor({ PIN: "123", KEY: "1234" }).scrubText("123 1234")).toBe("123 [REDACTED:KEY]");
  });

  it("returns text without secrets unchanged", () => {
    const text = "nothing secret here: ghp_abc def 123, just text (with regex chars .*+?)";
    expect(redactor.scrubText(text)).toBe(text);
    expect(redactor.scrub({ text, n: [1, 2] })).toEqual({ text, n: [1, 2] });
    expect(redactor.isEmpty).toBe(false);
  });

  it("treats regex metacharacters in secrets literally", () => {
    const r = new Redactor({ RE: "a.b*c(d)" });
    expect(r.scrubText("aXbbbcd a.b*c(d)")).toBe("aXbbbcd [REDACTED:RE]");
  });

  it("keeps shared and cyclic references terminating", () => {
    type Node = { value: string; self?: Node };
    const node: Node = { value: token };
    node.self = node;
    const out = redactor.scrub(node);
    expect(out.value).toBe("[REDACTED:TOKEN]");
    expect(out.self).toBe(out);
  });

  it("finds hex of the UTF-8 bytes, %XX of every byte and \\uXXXX of every character, in either hex case", () => {
    const value = "tök/en-42?";
    const r = new Redactor({ V: value });
    const hex = [...new TextEncoder().encode(value)].map((byte) => byte.toString(16).padStart(2, "0"));
    const units = [...Array(value.length).keys()].map((i) => value.charCodeAt(i).toString(16).padStart(4, "0"));
    const mixed = (text: string) => text.replace(/[a-f]/g, (c, i: number) => (i % 2 === 0 ? c.toUpperCase() : c));
    const forms = [hex.join(""), hex.map((h) => `%${h}`).join(""), units.map((u) => `\\u${u}`).join("")];
    for (const form of forms) {
      for (const text of [form, form.toUpperCase().replaceAll("\\U", "\\u"), mixed(form)]) {
        expect(r.scrubText(`<${text}>`), text).toBe("<[REDACTED:V]>");
      }
    }
    // Non-ASCII escaped alone, in upper-case hex, inside JSON text.
    expect(r.scrubText(JSON.stringify(value).replace("ö", "\\u00F6"))).toBe('"[REDACTED:V]"');
  });

  it("does not fold the case of forms whose letters belong to the secret", () => {
    const r = new Redactor({ S: "Secret-Value" });
    expect(r.scrubText("secret-value SECRET-VALUE Secret-Value")).toBe("secret-value SECRET-VALUE [REDACTED:S]");
  });

  it("redacts a value split across consecutive parts, labelling it where it starts", () => {
    expect(redactor.scrubParts([`one ${token.slice(0, 5)}`, `${token.slice(5)} two`, "three"])).toEqual(["one [REDACTED:TOKEN]", " two", "three"]);
    expect(redactor.scrubParts([token.slice(0, 3), "", token.slice(3, 9), `${token.slice(9)}!`])).toEqual(["[REDACTED:TOKEN]", "", "", "!"]);
    expect(redactor.scrubParts([`${token} and`, ` ${token}`])).toEqual(["[REDACTED:TOKEN] and", " [REDACTED:TOKEN]"]);
    expect(redactor.scrubParts(["plain", "text"])).toEqual(["plain", "text"]);
    expect(new Redactor({}).scrubParts(["a", "b"])).toEqual(["a", "b"]);
  });

  it("finds a long value, and a match that begins inside another's partial match", () => {
    const long = `${"ab".repeat(6000)}c`;
    const r = new Redactor({ LONG: long, NESTED: "abababx" });
    expect(r.scrubText(`x${"ab".repeat(7000)}c ababababx`)).toBe(`x${"ab".repeat(1000)}[REDACTED:LONG] ab[REDACTED:NESTED]`);
  });

  // Speed is measured by `npm run bench`, not asserted here; this checks a large input is handled at all.
  it("finds a secret at the end of a megabyte of text among fifty secrets", () => {
    const secrets: Record<string, string> = {};
    for (let i = 0; i < 50; i++) secrets[`S${i}`] = `secret-value-${i}-${"z".repeat(10)}`;
    const r = new Redactor(secrets);
    const text = `${"lorem ipsum dolor sit amet ".repeat(40_000)}secret-value-7-zzzzzzzzzz`;
    const out = r.scrubText(text);
    expect(out.endsWith("[REDACTED:S7]")).toBe(true);
    expect(out.length).toBe(text.length - "secret-value-7-zzzzzzzzzz".length + "[REDACTED:S7]".length);
  });
});
