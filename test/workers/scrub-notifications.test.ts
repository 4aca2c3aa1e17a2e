// An injected value never reaches the client, whichever message a server repeats it in.
import { LoggingMessageNotificationSchema, type Progress } from "@modelcontextprotocol/sdk/types.js";
import { beforeAll, describe, expect, it } from "vitest";
import { admin } from "./gateway.ts";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";

const CANARY = `canary-${crypto.randomUUID()}`;

describe("scrubbing outside results", () => {
  let alpha: string;

  beforeAll(async () => {
    alpha = await registerServer("alpha", { headers: { "X-Api-Key": "{{secret:LEAKY_KEY}}" } });
    expect((await admin(2101, { serverId: alpha, name: "LEAKY_KEY", value: CANARY })).status).toBe(200);
  });

  it("scrubs progress and log notifications, and a value split across two text items", async () => {
    const { client } = await connectClient();
    const logged: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void logged.push(notification.params));
    const progress: Progress[] = [];
    try {
      await client.setLoggingLevel("debug");
      const result = await client.callTool({ name: `${alpha}__leak` }, undefined, { onprogress: (p) => void progress.push(p) });
      expect(JSON.stringify(result)).not.toContain(CANARY);
      expect(progress).toEqual([expect.objectContaining({ message: "working with [REDACTED:LEAKY_KEY]" })]);
      await expect.poll(() => logged.length).toBeGreaterThan(0);
      expect(logged[0]).toMatchObject({ data: "logged with [REDACTED:LEAKY_KEY]" });
      expect(JSON.stringify([progress, logged])).not.toContain(CANARY);
      // Split across two text items: the client reads them as one text, so they are scrubbed as one.
      expect(textOf(result)).not.toContain(CANARY);
      expect((result.content as { text: string }[]).map((c) => c.text)).toEqual(["first half [REDACTED:LEAKY_KEY]", ""]);
    } finally {
      await client.close();
    }
  });
});
