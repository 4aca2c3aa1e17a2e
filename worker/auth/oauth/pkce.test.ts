import { describe, expect, it } from "vitest";
import { verifierMatches } from "./pkce.ts";

describe("PKCE S256", () => {
  // RFC 7636 Appendix B.
  const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

  it("accepts the RFC's example pair", async () => {
    expect(await verifierMatches(verifier, challenge)).toBe(true);
  });

  it("refuses another verifier, the challenge itself (plain), and malformed verifiers", async () => {
    expect(await verifierMatches(`${verifier.slice(0, -1)}Y`, challenge)).toBe(false);
    expect(await verifierMatches(challenge, challenge)).toBe(false);
    expect(await verifierMatches("short", challenge)).toBe(false);
    expect(await verifierMatches(`${verifier}!`, challenge)).toBe(false);
  });
});
