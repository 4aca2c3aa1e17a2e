import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { app } from "../../worker/app.ts";
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { accessTokenFor, admin, createUser, exchangeForToken, mcpStatus, ORIGIN, request } from "./gateway.ts";

const signingJwk = JSON.parse(env.JWT_SIGNING_KEY) as { kid: string; alg: string };

/** Signs a token with the gateway's real key, so only the claim under test is wrong. */
async function forge(claims: { sub: string; key_id: string; aud?: string; exp?: number; typ?: string }) {
  const key = await importJWK(JSON.parse(env.JWT_SIGNING_KEY), signingJwk.alg);
  return new SignJWT({ key_id: claims.key_id })
    .setProtectedHeader({ alg: signingJwk.alg, kid: signingJwk.kid, typ: claims.typ ?? "at+jwt" })
    .setIssuer(ORIGIN)
    .setAudience(claims.aud ?? `${ORIGIN}/mcp`)
    .setSubject(claims.sub)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? Math.floor(Date.now() / 1000) + 600)
    .sign(key as CryptoKey);
}

function keyIdOf(apiKey: string): string {
  return apiKey.slice(3, 19);
}

describe("authentication", () => {
  let alice: { userId: string; apiKey: string };

  beforeAll(async () => {
    alice = await createUser();
  });

  it("answers an unauthenticated /mcp request with 401 and the RFC 9728 challenge", async () => {
    const response = await mcpStatus();
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toBe(
      `Bearer resource_metadata="${ORIGIN}/.well-known/oauth-protected-resource"`,
    );
    // -32010, not -32001: that is the SDK's RequestTimeout, which a client would retry.
    expect(await response.json()).toMatchObject({ jsonrpc: "2.0", error: { code: -32010 } });
  });

  it("serves the protected-resource metadata the challenge points to", async () => {
    for (const path of ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"]) {
      const response = await request(path);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ resource: `${ORIGIN}/mcp`, bearer_methods_supported: ["header"] });
    }
  });

  it("accepts the owner key, an API key and an access token on /mcp", async () => {
    expect((await mcpStatus(env.OWNER_KEY)).status).toBe(200);
    expect((await mcpStatus(alice.apiKey)).status).toBe(200);
    expect((await mcpStatus(await accessTokenFor(alice.apiKey))).status).toBe(200);
  });

  it("refuses a wrong key of every shape", async () => {
    const wrongSecret = `${alice.apiKey.slice(0, 20)}${"A".repeat(43)}`;
    for (const credential of [wrongSecret, "pk_short", `${env.OWNER_KEY}x`, "not-a-token", "a.b.c"]) {
      const response = await mcpStatus(credential);
      expect(response.status, credential).toBe(401);
      expect(response.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
    expect((await admin(1011, {}, wrongSecret)).status).toBe(401);
    expect((await exchangeForToken(wrongSecret)).status).toBe(401);
  });

  it("tells a client with a wrong or missing credential on /mcp what was expected and where to get it", async () => {
    const metadata = `${ORIGIN}/.well-known/oauth-protected-resource`;
    for (const credential of [`${alice.apiKey.slice(0, 20)}${"A".repeat(43)}`, "not-a-token", undefined]) {
      const response = await mcpStatus(credential);
      expect(response.status).toBe(401);
      const { error } = (await response.json()) as { error: { message: string } };
      for (const expected of ["pk_", "POST /auth/token", "OAuth", metadata]) expect(error.message, `${credential}: ${expected}`).toContain(expected);
    }
    const wrong = (await (await mcpStatus("not-a-token")).json()) as { error: { message: string } };
    expect(wrong.error.message).toMatch(/^Invalid credential: the key or token is wrong, expired, revoked, or its user is disabled/);
  });

  it("issues a JWT that any JOSE library verifies against /.well-known/jwks.json", async () => {
    const response = await exchangeForToken(alice.apiKey);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = (await response.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBeLessThanOrEqual(3600);

    const jwks = (await (await request("/.well-known/jwks.json")).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty("d");
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks as never), {
      issuer: ORIGIN,
      audience: `${ORIGIN}/mcp`,
    });
    expect(protectedHeader.kid).toBe(signingJwk.kid);
    expect(payload.sub).toBe(alice.userId);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(3600);
  });

  it("refuses an expired token", async () => {
    const token = await forge({ sub: alice.userId, key_id: keyIdOf(alice.apiKey), exp: Math.floor(Date.now() / 1000) - 60 });
    expect((await mcpStatus(token)).status).toBe(401);
  });

  it("refuses an unsigned token (alg: none)", async () => {
    const encode = (value: object) => btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
    const now = Math.floor(Date.now() / 1000);
    const token = `${encode({ alg: "none", kid: signingJwk.kid })}.${encode({
      iss: ORIGIN, aud: `${ORIGIN}/mcp`, sub: alice.userId, key_id: keyIdOf(alice.apiKey), iat: now, exp: now + 600,
    })}.`;
    expect((await mcpStatus(token)).status).toBe(401);
  });

  it("refuses a token signed by another key, even one claiming our kid", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const now = Math.floor(Date.now() / 1000);
    for (const kid of [signingJwk.kid, "attacker"]) {
      const token = await new SignJWT({ key_id: keyIdOf(alice.apiKey) })
        .setProtectedHeader({ alg: "ES256", kid })
        .setIssuer(ORIGIN).setAudience(`${ORIGIN}/mcp`).setSubject(alice.userId)
        .setIssuedAt(now).setExpirationTime(now + 600)
        .sign(privateKey);
      expect((await mcpStatus(token)).status, kid).toBe(401);
    }
    expect(await exportJWK(privateKey)).toHaveProperty("d"); // the attacker really had a private key
  });

  it("refuses a token for another audience", async () => {
    const token = await forge({ sub: alice.userId, key_id: keyIdOf(alice.apiKey), aud: "https://elsewhere.example/mcp" });
    expect((await mcpStatus(token)).status).toBe(401);
    // The same forge with the right audience passes, so the audience alone made the difference.
    expect((await mcpStatus(await forge({ sub: alice.userId, key_id: keyIdOf(alice.apiKey) }))).status).toBe(200);
  });

  it("refuses a token signed with our key that we would never issue: too long-lived, or not an access token", async () => {
    const farFuture = Math.floor(Date.now() / 1000) + 100 * 365 * 24 * 3600;
    expect((await mcpStatus(await forge({ sub: alice.userId, key_id: keyIdOf(alice.apiKey), exp: farFuture }))).status).toBe(401);
    expect((await mcpStatus(await forge({ sub: alice.userId, key_id: keyIdOf(alice.apiKey), typ: "JWT" }))).status).toBe(401);
    // An ID token or any other JWT type signed by the same key is no access token either.
    expect((await mcpStatus(await forge({ sub: alice.userId, key_id: keyIdOf(alice.apiKey), typ: "id+jwt" }))).status).toBe(401);
    expect((await mcpStatus(await forge({ sub: alice.userId, key_id: keyIdOf(alice.apiKey) }))).status).toBe(200);
  });

  it("refuses a disabled user at once, key and unexpired token alike, and accepts it again when re-enabled", async () => {
    const bob = await createUser();
    const token = await accessTokenFor(bob.apiKey);
    expect((await admin(1001, { userId: bob.userId })).status).toBe(200);
    expect((await mcpStatus(bob.apiKey)).status).toBe(401);
    expect((await mcpStatus(token)).status).toBe(401);
    expect((await exchangeForToken(bob.apiKey)).status).toBe(401);

    expect((await admin(1012, { userId: bob.userId, status: "active" })).status).toBe(200);
    expect((await mcpStatus(token)).status).toBe(200);
  });

  it("refuses a deleted user's token", async () => {
    const carol = await createUser();
    const token = await accessTokenFor(carol.apiKey);
    expect((await admin(1013, { userId: carol.userId })).status).toBe(200);
    expect((await mcpStatus(token)).status).toBe(401);
    expect((await mcpStatus(carol.apiKey)).status).toBe(401);
  });

  it("refuses a rotated key and the tokens minted from it; the new key works", async () => {
    const dave = await createUser();
    const oldToken = await accessTokenFor(dave.apiKey);
    const rotated = await admin<{ apiKey: string }>(1017, { userId: dave.userId });
    expect(rotated.status).toBe(200);
    const newKey = rotated.body.data!.apiKey;
    expect(newKey).not.toBe(dave.apiKey);

    expect((await mcpStatus(dave.apiKey)).status).toBe(401);
    expect((await mcpStatus(oldToken)).status).toBe(401);
    expect((await mcpStatus(newKey)).status).toBe(200);
    expect((await mcpStatus(await accessTokenFor(newKey))).status).toBe(200);
  });

  it("refuses an owner key shorter than 32 characters, so a weak configuration fails closed", async () => {
    const weak = "short-owner-key";
    const ctx = createExecutionContext();
    const response = await app.fetch(
      new Request(`${ORIGIN}/admin`, { method: "POST", headers: { authorization: `Bearer ${weak}` }, body: JSON.stringify({ action: 1011 }) }),
      { ...env, OWNER_KEY: weak },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(401);

    // With no owner key configured at all, users' keys still work.
    const user = await createUser();
    const unset = createExecutionContext();
    const { OWNER_KEY: _omitted, ...withoutOwnerKey } = env;
    const exchanged = await app.fetch(
      new Request(`${ORIGIN}/auth/token`, { method: "POST", headers: { authorization: `Bearer ${user.apiKey}` } }),
      withoutOwnerKey,
      unset,
    );
    await waitOnExecutionContext(unset);
    expect(exchanged.status).toBe(200);
  });

  it("refuses a signing-key ring that holds one kid twice", async () => {
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const twin = { ...(await exportJWK(privateKey)), kid: signingJwk.kid, alg: "ES256" };
    const ctx = createExecutionContext();
    const response = await app.fetch(new Request(`${ORIGIN}/.well-known/jwks.json`), { ...env, JWT_SIGNING_KEY: JSON.stringify([JSON.parse(env.JWT_SIGNING_KEY), twin]) }, ctx);
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    expect(await response.text()).toContain("appears twice");
  });

  it("does not let a user's token stand in for another user", async () => {
    const eve = await createUser();
    const token = await forge({ sub: eve.userId, key_id: keyIdOf(alice.apiKey) });
    expect((await mcpStatus(token)).status).toBe(401);
  });
});
