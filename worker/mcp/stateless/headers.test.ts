import { describe, expect, it } from "vitest";
import { decodeHeaderValue, standardHeaderMismatch } from "./headers.ts";

const call = { jsonrpc: "2.0" as const, id: 1, method: "tools/call", params: { name: "echo" } };
const base = { "mcp-protocol-version": "2026-07-28", "mcp-method": "tools/call" };

describe("2026 standard headers", () => {
  it("accepts headers that agree with the body, plainly or Base64-encoded", () => {
    expect(standardHeaderMismatch(new Headers({ ...base, "mcp-name": "echo" }), call)).toBeNull();
    expect(standardHeaderMismatch(new Headers({ ...base, "mcp-name": `=?base64?${btoa("echo")}?=` }), call)).toBeNull();
    expect(standardHeaderMismatch(new Headers({ ...base, "mcp-method": "tools/list" }), { ...call, method: "tools/list", params: {} })).toBeNull();
  });

  it("names what is missing or disagrees", () => {
    expect(standardHeaderMismatch(new Headers({ "mcp-method": "tools/call", "mcp-name": "echo" }), call)).toContain("MCP-Protocol-Version");
    expect(standardHeaderMismatch(new Headers({ "mcp-protocol-version": "2026-07-28", "mcp-name": "echo" }), call)).toContain("Mcp-Method");
    expect(standardHeaderMismatch(new Headers(base), call)).toContain("Mcp-Name header is absent");
    expect(standardHeaderMismatch(new Headers({ ...base, "mcp-name": "fail" }), call)).toContain('names "fail"');
    expect(standardHeaderMismatch(new Headers({ ...base, "mcp-name": "=?base64?***?=" }), call)).toContain("invalid Base64");
  });

  it("decodes UTF-8 inside the sentinel and refuses what is not Base64", () => {
    expect(decodeHeaderValue(`=?base64?${btoa(String.fromCharCode(...new TextEncoder().encode("café")))}?=`)).toBe("café");
    expect(decodeHeaderValue("=?base64?abc?=")).toBeUndefined();
    expect(decodeHeaderValue("plain")).toBe("plain");
  });
});
