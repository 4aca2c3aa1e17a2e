import { describe, expect, it } from "vitest";
import { refuseOrigin } from "./origin.ts";

const open = { allowedOrigins: [], allowedHosts: [], publicUrl: "" };
const loopback = { ...open, allowedHosts: ["127.0.0.1", "localhost", "[::1]"] };

describe("DNS-rebinding protection", () => {
  it("lets non-browser clients and our own origin through", () => {
    expect(refuseOrigin({ url: "http://127.0.0.1:8787/mcp", host: "127.0.0.1:8787", origin: null }, loopback)).toBeNull();
    expect(refuseOrigin({ url: "http://127.0.0.1:8787/mcp", host: "127.0.0.1:8787", origin: "http://127.0.0.1:8787" }, loopback)).toBeNull();
  });

  it("refuses a foreign origin unless it is listed", () => {
    const request = { url: "https://gw.example.com/mcp", host: "gw.example.com", origin: "https://evil.example" };
    expect(refuseOrigin(request, open)).toContain("evil.example");
    expect(refuseOrigin(request, { ...open, allowedOrigins: ["https://evil.example"] })).toBeNull();
    expect(refuseOrigin(request, { ...open, allowedOrigins: ["*"] })).toBeNull();
  });

  it("refuses a rebound name even when Host and Origin agree", () => {
    const rebound = { url: "http://evil.example.com:8787/mcp", host: "evil.example.com:8787", origin: "http://evil.example.com:8787" };
    expect(refuseOrigin(rebound, loopback)).toContain("evil.example.com");
    expect(refuseOrigin({ ...rebound, origin: null }, loopback)).toContain("evil.example.com");
  });

  it("treats the public URL's origin as our own", () => {
    const request = { url: "http://internal:8787/mcp", host: "internal:8787", origin: "https://mcp.example.com" };
    expect(refuseOrigin(request, { ...open, publicUrl: "https://mcp.example.com" })).toBeNull();
  });
});
