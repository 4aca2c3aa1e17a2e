// Admin changes reach MCP 2026-07-28 bridges at once, as they reach sessions: a changed server secret is
// injected on the very next stateless call, with no wait for MCP_SERVER_RECHECK_SECONDS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../worker/auth/crypto.ts";
import { admin } from "./gateway.ts";
import { registerServer, textOf } from "./mcp-client.ts";
import { connectStateless } from "./mcp-2026-client.ts";

describe("admin pushes to 2026-07-28 bridges", () => {
  let serverId: string;

  beforeAll(async () => {
    serverId = await registerServer("alpha", { headers: { Authorization: "Bearer {{secret:PUSHED}}" } });
  });

  afterAll(async () => {
    await admin(2013, { serverId });
  });

  it("injects a rotated secret on the next stateless call", async () => {
    const values = [`first-${crypto.randomUUID()}`, `second-${crypto.randomUUID()}`];
    expect((await admin(2101, { serverId, name: "PUSHED", value: values[0] })).status).toBe(200);
    const client = await connectStateless({ path: `/mcp/${serverId}` });
    const seen = async () => (JSON.parse(textOf(await client.callTool({ name: "whoami" }))) as { digests: { authorization: string } }).digests.authorization;
    try {
      expect(await seen()).toBe(await sha256Hex(`Bearer ${values[0]}`));
      expect((await admin(2101, { serverId, name: "PUSHED", value: values[1] })).status).toBe(200);
      // The admin reply came after the push: the bridge has re-read its servers and reconnected.
      expect(await seen()).toBe(await sha256Hex(`Bearer ${values[1]}`));
    } finally {
      await client.close();
    }
  });
});
