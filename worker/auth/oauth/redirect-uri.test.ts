import { describe, expect, it } from "vitest";
import { redirectUriMatches, redirectUriProblem } from "./redirect-uri.ts";

describe("redirect URI matching", () => {
  it("matches exactly, including path and query", () => {
    expect(redirectUriMatches(["https://claude.ai/api/mcp/auth_callback"], "https://claude.ai/api/mcp/auth_callback")).toBe(true);
    expect(redirectUriMatches(["https://claude.ai/api/mcp/auth_callback"], "https://claude.ai/api/mcp/auth_callback/")).toBe(false);
    expect(redirectUriMatches(["https://app.example/cb"], "https://app.example/cb?x=1")).toBe(false);
    expect(redirectUriMatches(["https://app.example/cb"], "https://evil.example/cb")).toBe(false);
    expect(redirectUriMatches(["https://app.example/cb"], "https://app.example:8443/cb")).toBe(false);
  });

  it("lets only loopback http redirects vary their port (RFC 8252)", () => {
    expect(redirectUriMatches(["http://127.0.0.1:3000/callback"], "http://127.0.0.1:49152/callback")).toBe(true);
    expect(redirectUriMatches(["http://localhost/callback"], "http://localhost:8080/callback")).toBe(true);
    expect(redirectUriMatches(["http://127.0.0.1:3000/callback"], "http://127.0.0.1:3000/other")).toBe(false);
    expect(redirectUriMatches(["http://127.0.0.1:3000/callback"], "http://localhost:3000/callback")).toBe(false);
  });

  it("accepts https, loopback http and app schemes for registration, nothing else", () => {
    expect(redirectUriProblem("https://chatgpt.com/connector_platform_oauth_redirect")).toBeNull();
    expect(redirectUriProblem("http://127.0.0.1:6274/oauth/callback")).toBeNull();
    expect(redirectUriProblem("com.example.app:/oauth")).toBeNull();
    expect(redirectUriProblem("http://app.example/cb")).toMatch(/other than loopback/);
    expect(redirectUriProblem("javascript:alert(1)")).toMatch(/scheme/);
    expect(redirectUriProblem("https://app.example/cb#frag")).toMatch(/fragment/);
    expect(redirectUriProblem("/relative")).toMatch(/absolute/);
  });
});
