import { beforeAll, describe, expect, inject, it } from "vitest";
import { admin, callAction, createUser } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";

const HEADER_RULE = "must not contain CR, LF, other control characters or characters beyond U+00FF";

describe("vault values at input", () => {
  let server: string;
  let user: { apiKey: string };

  beforeAll(async () => {
    server = await registerServer("beta", {
      url: `${inject("downstream").beta}?q={{user:IN_URL}}&s={{secret:URL_SECRET}}`,
      headers: { "X-Key": "{{user:IN_HEADER}}", Authorization: "Bearer {{secret:HEADER_SECRET}}" },
      userInputs: [
        { name: "IN_HEADER", required: false },
        { name: "IN_URL", required: false },
      ],
    });
    user = await createUser();
  });

  it("refuses a user value with CR, LF or another character a header cannot carry, naming the field", async () => {
    for (const value of ["tok\r\nX-Injected: 1", "tok\nen", "tok\u0001", "tok\u0100"]) {
      const reply = await callAction("/user", 2001, { serverId: server, values: { IN_HEADER: value } }, user.apiKey);
      expect(reply.status, JSON.stringify(value)).toBe(400);
      expect(reply.body.error?.message).toBe(`Invalid input: data.values.IN_HEADER: ${HEADER_RULE} (it goes in an HTTP header)`);
    }
    // Tab, obs-text and a value used only in the URL (percent-encoded there) are fine.
    const fine = await callAction("/user", 2001, { serverId: server, values: { IN_HEADER: "a\tb\u00e9", IN_URL: "line\r\nbreak" } }, user.apiKey);
    expect(fine.status).toBe(200);
  });

  it("refuses a server secret that a header uses and cannot carry, naming the field", async () => {
    const bad = await admin(2101, { serverId: server, name: "HEADER_SECRET", value: "abc\r\ndef" });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toContain(`data.value: ${HEADER_RULE}`);
    expect((await admin(2101, { serverId: server, name: "URL_SECRET", value: "abc\r\ndef" })).status).toBe(200);
  });

  it("caps the length of a value at 4096 characters", async () => {
    const long = "x".repeat(4097);
    const secret = await admin(2101, { serverId: server, name: "URL_SECRET", value: long });
    expect(secret.status).toBe(400);
    expect(secret.body.error?.message).toMatch(/^Invalid input: data\.value: .*4096/);
    const mine = await callAction("/user", 2001, { serverId: server, values: { IN_URL: long } }, user.apiKey);
    expect(mine.status).toBe(400);
    expect(mine.body.error?.message).toMatch(/^Invalid input: data\.values\.IN_URL: .*4096/);
    expect((await admin(2101, { serverId: server, name: "URL_SECRET", value: long.slice(1) })).status).toBe(200);
  });

  it("refuses a server header value a header cannot carry, naming the header", async () => {
    for (const value of ["a\u0001b", "a\u007fb", "x\u2028y"]) {
      const created = await admin(2010, { serverId: `bad-${crypto.randomUUID().slice(0, 6)}`, transport: "streamable-http", url: inject("downstream").beta, headers: { "X-Bad": value } });
      expect(created.status).toBe(400);
      expect(created.body.error?.message).toContain(`data.headers.X-Bad: ${HEADER_RULE}`);
    }
    const updated = await admin(2012, { serverId: server, headers: { "X-Bad": "a\rb" } });
    expect(updated.status).toBe(400);
    expect(updated.body.error?.message).toContain("data.headers.X-Bad");
  });
});

describe("a value in a URL path", () => {
  it("cannot turn its segment into .. and send the secret-bearing request to another path", async () => {
    // With SEG = "..", /nowhere/../mcp would resolve to the fixture's /mcp: the request would go through.
    const server = await registerServer("beta", {
      url: inject("downstream").beta.replace(/\/mcp$/, "/nowhere/{{user:SEG}}/mcp"),
      headers: { Authorization: "Bearer {{secret:TOKEN}}" },
      userInputs: [{ name: "SEG" }],
    });
    expect((await admin(2101, { serverId: server, name: "TOKEN", value: `token-${crypto.randomUUID()}` })).status).toBe(200);
    const user = await createUser();
    expect((await callAction("/user", 2001, { serverId: server, values: { SEG: ".." } }, user.apiKey)).status).toBe(200);
    // /mcp/<id> opens its one downstream connection at initialize, which is where it is refused.
    const session = connectClient({ path: `/mcp/${server}`, credential: user.apiKey });
    await expect(session).rejects.toThrow('Vault: cannot build the server URL: the value of {{user:SEG}} makes a path segment "." or ".."');
  });
});
