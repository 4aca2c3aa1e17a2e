import { describe, expect, it } from "vitest";
import { auditableServerInput } from "./server-audit.ts";

describe("auditableServerInput", () => {
  it("keeps placeholders, origins, routes, query keys and header names; masks what may be a literal credential", () => {
    const audited = auditableServerInput({
      serverId: "crm",
      url: "https://user:hunter2@api.example.com/v1/hooks/T0KEN4f9e8d7c6b5a4f3e2d1c0b9a/{{secret:PATH}}?key=sk_live_abc&team={{user:TEAM}}&debug",
      headers: {
        Authorization: "Bearer {{secret:API_TOKEN}}",
        "X-Api-Key": "literal-key-5f3c9a0e",
        "X-Mixed": "Bearer literal-5f3c",
        "X-Only": "{{user:KEY}}",
      },
    });
    expect(audited).toEqual({
      serverId: "crm",
      url: "https://[MASKED]@api.example.com/v1/hooks/[MASKED]/{{secret:PATH}}?key=[MASKED]&team={{user:TEAM}}&debug",
      headers: { Authorization: "Bearer {{secret:API_TOKEN}}", "X-Api-Key": "[MASKED]", "X-Mixed": "[MASKED]", "X-Only": "{{user:KEY}}" },
    });
    expect(JSON.stringify(audited)).not.toMatch(/hunter2|sk_live|literal-|T0KEN/);
  });

  it("masks a URL whole when it has a backslash, and a bare query item that may be a key", () => {
    expect(auditableServerInput({ url: "https://attacker.example\\@trusted.example/mcp" }).url).toBe("[MASKED]");
    expect(auditableServerInput({ url: "https://api.example.com/mcp?sk_live_0123456789abcdefghijkl&debug" }).url).toBe("https://api.example.com/mcp?[MASKED]&debug");
  });

  it("keeps a stdio server's command and placeholder-only env values; masks any env value with a literal in it", () => {
    const audited = auditableServerInput({
      transport: "stdio",
      stdio: { command: "npx", args: ["-y", "server-github"], env: { TOKEN: "{{user:GH}}", API_KEY: "ghp_literal9f8e", MIXED: "Bearer {{secret:K}}" } },
    });
    expect(audited).toEqual({
      transport: "stdio",
      stdio: { command: "npx", args: ["-y", "server-github"], env: { TOKEN: "{{user:GH}}", API_KEY: "[MASKED]", MIXED: "[MASKED]" } },
    });
  });

  it("leaves input without a URL or headers as it is", () => {
    expect(auditableServerInput({ serverId: "crm", enabled: false })).toEqual({ serverId: "crm", enabled: false });
  });
});
