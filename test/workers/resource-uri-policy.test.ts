// A resource rule decides what the server will read, whatever spelling of the URI the client sends: the
// gateway normalises the URI (scheme and host case, dot segments, percent-encoded unreserved characters)
// before the policy sees it and sends the server that same URI; a URI it cannot parse, or one with
// surrounding whitespace, is refused. On /mcp, /mcp/<id> and stateless (2026-07-28) requests alike.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, deleteServersStartingWith } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";
import { statelessRequest } from "./mcp-2026-client.ts";

/** Every spelling of fixture://doc/2 (or of doc/15, for the glob rule) that a server reads as that document. */
const DENIED = ["fixture://doc/2", "FIXTURE://doc/2", "fixture://DOC/2", "fixture://doc/./2", "fixture://doc/x/../2", "fixture://doc/%32", "fixture://doc/.%2E/doc/../2", "Fixture://doc/./15"];
const REFUSED = ["fixture://doc/2 ", " fixture://doc/2", "fixture://doc/\t2", "not a uri"];

describe("resource rules on normalised URIs", () => {
  let serverId: string;
  let aggregate: Client;
  let single: Client;

  beforeAll(async () => {
    serverId = await registerServer("alpha");
    const created = await admin(9101, {
      name: `resource-uris-${serverId}`,
      serverId,
      rules: [
        { id: "no-doc-2", priority: 100, match: { tool: "fixture://doc/2" }, effect: "deny", reason: "doc 2 is private" },
        { id: "no-doc-1x", priority: 90, match: { tool: "fixture://doc/1?" }, effect: "deny", reason: "docs 10-19 are private" },
      ],
    });
    expect(created.status).toBe(200);
    ({ client: aggregate } = await connectClient());
    ({ client: single } = await connectClient({ path: `/mcp/${serverId}` }));
  });

  afterAll(async () => {
    await aggregate.close();
    await single.close();
    await deleteServersStartingWith(serverId);
  });

  it("denies every spelling of a denied URI, in a session on /mcp and on /mcp/<id>", async () => {
    for (const uri of DENIED) {
      await expect(aggregate.readResource({ uri: `peta://${serverId}/${uri}` }), uri).rejects.toThrow(/Refused by rule "no-doc-(2|1x)"/);
      await expect(single.readResource({ uri }), uri).rejects.toThrow(/Refused by rule "no-doc-(2|1x)"/);
    }
    // The rule is not a blanket refusal: another document, however spelt, is read as the normalised URI.
    const read = await single.readResource({ uri: "FIXTURE://doc/x/../3" });
    expect(read.contents[0]).toMatchObject({ uri: "fixture://doc/3" });
  });

  it("refuses a URI with surrounding whitespace or one that does not parse, saying why", async () => {
    for (const uri of REFUSED) {
      await expect(single.readResource({ uri }), JSON.stringify(uri)).rejects.toThrow(/Invalid resource URI/);
      await expect(aggregate.readResource({ uri: `peta://${serverId}/${uri}` }), JSON.stringify(uri)).rejects.toThrow(/Invalid resource URI/);
    }
  });

  it("denies every spelling on stateless requests", async () => {
    for (const uri of DENIED) {
      const body = (await (await statelessRequest(`/mcp/${serverId}`, { method: "resources/read", params: { uri } })).json()) as { result?: unknown; error?: { message: string } };
      expect(body.result, uri).toBeUndefined();
      expect(body.error?.message, uri).toMatch(/Refused by rule "no-doc-(2|1x)"/);
    }
    const spaced = (await (await statelessRequest(`/mcp/${serverId}`, { method: "resources/read", params: { uri: "fixture://doc/2 " } }, { headers: { "mcp-name": "fixture://doc/2" } })).json()) as { result?: unknown; error?: { message: string } };
    expect(spaced.result).toBeUndefined();
    expect(spaced.error?.message).toMatch(/Invalid resource URI|header/i);
  });
});
