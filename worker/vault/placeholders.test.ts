import { describe, expect, it } from "vitest";
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
