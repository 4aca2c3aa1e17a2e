import { describe, expect, it } from "vitest";
import { VaultError } from "./errors.ts";
import { referencedNames, resolvePlaceholders } from "./placeholders.ts";

const template = {
  url: "https://api.example.com/mcp?key={{secret:API_KEY}}",
  headers: { Authorization: "Bearer {{user:TOKEN}}", "X-Static": "plain" },
};

describe("placeholders", () => {
  it("lists what a configuration references", () => {
    expect(referencedNames(template)).toEqual([
      { kind: "secret", name: "API_KEY" },
      { kind: "user", name: "TOKEN" },
    ]);
  });

  it("injects values, percent-encoding those placed in the URL", () => {
    const resolved = resolvePlaceholders(template, {
      secret: new Map([["API_KEY", "a b&c"]]),
      user: new Map([["TOKEN", "tok-123"]]),
    });
    expect(resolved.config).toEqual({
      url: "https://api.example.com/mcp?key=a%20b%26c",
      headers: { Authorization: "Bearer tok-123", "X-Static": "plain" },
    });
    expect(resolved.injected).toEqual({ API_KEY: "a b&c", TOKEN: "tok-123" });
    expect(resolved.missing).toEqual([]);
  });

  it("resolves an unset optional user input to nothing", () => {
    const resolved = resolvePlaceholders(template, { secret: new Map([["API_KEY", "k"]]), user: new Map() }, new Set(["TOKEN"]));
    expect(resolved.missing).toEqual([]);
    expect(resolved.config.headers.Authorization).toBe("Bearer ");
  });

  it("keeps both values when a secret and a user input share a name", () => {
    const both = { url: "https://x.example/{{secret:K}}", headers: { A: "{{user:K}}" } };
    const resolved = resolvePlaceholders(both, { secret: new Map([["K", "server-value"]]), user: new Map([["K", "user-value"]]) });
    expect(resolved.injected).toEqual({ K: "server-value", "user:K": "user-value" });
  });

  it("reports what is missing and leaves its placeholder in place", () => {
    const resolved = resolvePlaceholders(template, { secret: new Map(), user: new Map() });
    expect(resolved.missing).toEqual([
      { kind: "secret", name: "API_KEY" },
      { kind: "user", name: "TOKEN" },
    ]);
    expect(resolved.injected).toEqual({});
  });
});

describe("placeholders in a URL path", () => {
  const inPath = { url: "https://api.example.com/v1/{{user:ORG}}/mcp?k={{secret:K}}", headers: {} };
  const resolve = (org: string, k = "key") => resolvePlaceholders(inPath, { secret: new Map([["K", k]]), user: new Map([["ORG", org]]) });

  it("keeps a value inside its segment: / ? # are percent-encoded", () => {
    expect(resolve("a/b?c#d").config.url).toBe("https://api.example.com/v1/a%2Fb%3Fc%23d/mcp?k=key");
    expect(new URL(resolve("a/../b").config.url).pathname).toBe("/v1/a%2F..%2Fb/mcp");
    expect(resolve("...").config.url).toBe("https://api.example.com/v1/.../mcp?k=key");
  });

  it("refuses a value that makes a segment . or .., which URL parsing would resolve", () => {
    expect(() => resolve(".")).toThrow(VaultError);
    expect(() => resolve("..")).toThrow('the value of {{user:ORG}} makes a path segment "." or ".."');
    // A value spelling an encoded dot is encoded again, so it stays literal.
    expect(resolve("%2E%2e").config.url).toBe("https://api.example.com/v1/%252E%252e/mcp?k=key");
    // Encoded dots are dot segments too (so encoding "." as "%2E" would not help), and values can combine.
    const joined = { url: "https://x.example/{{user:A}}%2E/{{user:A}}{{user:B}}/mcp", headers: {} };
    const dots = (a: string, b: string) => resolvePlaceholders(joined, { secret: new Map(), user: new Map([["A", a], ["B", b]]) });
    expect(() => dots(".", "x")).toThrow(VaultError);
    expect(() => dots("x", ".")).not.toThrow();
    expect(() => dots(".", ".")).toThrow(VaultError);
    // In the query a dot is just a character.
    expect(resolve("org", "..").config.url).toBe("https://api.example.com/v1/org/mcp?k=..");
  });

  it("refuses a header value that cannot be sent, without showing it", () => {
    const header = { url: "https://x.example/mcp", headers: { Authorization: "Bearer {{secret:T}}" } };
    const attempt = () => resolvePlaceholders(header, { secret: new Map([["T", "tok\r\nX-Evil: 1"]]), user: new Map() });
    expect(attempt).toThrow(VaultError);
    expect(attempt).toThrow(/^cannot send header Authorization: the value of \{\{secret:T\}\} must not contain CR, LF/);
    expect(attempt).not.toThrow(/Evil/);
  });
});
