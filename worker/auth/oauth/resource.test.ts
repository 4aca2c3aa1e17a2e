import { describe, expect, it } from "vitest";
import { requestedResource, serverIdOfResource } from "./resource.ts";

const issuer = "https://gw.example";

describe("RFC 8707 resource indicators", () => {
  it("defaults to the aggregate and accepts /mcp and /mcp/<serverId>", () => {
    expect(requestedResource(issuer, undefined)).toBe("https://gw.example/mcp");
    expect(requestedResource(issuer, "https://gw.example/mcp")).toBe("https://gw.example/mcp");
    expect(requestedResource(issuer, "https://gw.example/mcp/")).toBe("https://gw.example/mcp");
    expect(requestedResource(issuer, "https://gw.example/mcp/github")).toBe("https://gw.example/mcp/github");
    expect(serverIdOfResource("https://gw.example/mcp/github")).toBe("github");
    expect(serverIdOfResource("https://gw.example/mcp")).toBeNull();
  });

  it("refuses other origins, other paths and malformed values", () => {
    for (const value of ["https://evil.example/mcp", "https://gw.example/admin", "https://gw.example/mcp/Bad_Id", "https://gw.example/mcp?x=1", "mcp"]) {
      expect(() => requestedResource(issuer, value), value).toThrow(/resource must be/);
    }
  });
});
