// subscriptions/listen through the bridge: a 2026-07-28 client hears a 2025 server's list changes and
// the updates of the resources it subscribed to, on /mcp/<serverId> and aggregated on /mcp.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deleteServersStartingWith } from "./gateway.ts";
import { registerServer, textOf } from "./mcp-client.ts";
import { connectStateless, statelessRequest } from "./mcp-2026-client.ts";

describe("subscriptions/listen through the bridge", () => {
  let alpha: string;

  beforeAll(async () => {
    alpha = await registerServer("alpha");
  });

  afterAll(async () => {
    await deleteServersStartingWith(alpha);
  });

  for (const endpoint of ["single", "aggregated"] as const) {
    it(`delivers list changes and subscribed resource updates on ${endpoint === "single" ? "/mcp/<serverId>" : "/mcp"}`, async () => {
      const single = endpoint === "single";
      const client = await connectStateless({ path: single ? `/mcp/${alpha}` : "/mcp" });
      const heard: { method: string; uri?: string }[] = [];
      client.setNotificationHandler("notifications/tools/list_changed", () => void heard.push({ method: "tools" }));
      client.setNotificationHandler("notifications/resources/updated", (n) => void heard.push({ method: "updated", uri: n.params.uri }));
      const watched = single ? "fixture://doc/1" : `peta://${alpha}/fixture://doc/1`;
      const subscription = await client.listen({ toolsListChanged: true, resourceSubscriptions: [watched] });
      try {
        expect(subscription.honoredFilter).toMatchObject({ toolsListChanged: true, resourceSubscriptions: [watched] });
        const tool = (name: string) => (single ? name : `${alpha}__${name}`);
        expect(textOf(await client.callTool({ name: tool("add_tool"), arguments: {} }))).toContain("added dynamic_");
        await expect.poll(() => heard.some((h) => h.method === "tools"), { timeout: 10_000 }).toBe(true);
        // An update of a URI nobody subscribed to is not delivered; the subscribed one is, in the endpoint's form.
        await client.callTool({ name: tool("touch"), arguments: { uri: "fixture://doc/9" } });
        await client.callTool({ name: tool("touch"), arguments: { uri: "fixture://doc/1" } });
        await expect.poll(() => heard.filter((h) => h.method === "updated").map((h) => h.uri), { timeout: 10_000 }).toEqual([watched]);
      } finally {
        await subscription.close();
        await client.close();
      }
    });
  }

  it("acknowledges first, with the listen's id on every notification, and needs an SSE stream", async () => {
    const response = await statelessRequest(`/mcp/${alpha}`, { id: 77, method: "subscriptions/listen", params: { notifications: { promptsListChanged: true } } });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const ack = JSON.parse(first.split("data: ")[1]!) as { method: string; params: Record<string, unknown> };
    expect(ack).toMatchObject({ method: "notifications/subscriptions/acknowledged", params: { notifications: { promptsListChanged: true }, _meta: { "io.modelcontextprotocol/subscriptionId": 77 } } });
    await reader.cancel();

    const json = await statelessRequest(`/mcp/${alpha}`, { method: "subscriptions/listen", params: { notifications: {} } }, { headers: { accept: "application/json" } });
    expect(((await json.json()) as { error: { code: number } }).error.code).toBe(-32600);
  });
});
