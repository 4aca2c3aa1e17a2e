// Tasks (2025-11-25): a task-augmented tools/call answers with a task, and tasks/get, tasks/result,
// tasks/list and tasks/cancel find their way back to the server that created it, on both endpoints.
import { CancelTaskResultSchema, CreateTaskResultSchema, GetTaskResultSchema, ListTasksResultSchema, ResultSchema } from "@modelcontextprotocol/sdk/types.js";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";

async function runResearch(client: Client, name: string) {
  const created = await client.request(
    { method: "tools/call", params: { name, arguments: { topic: "gateways", ambiguous: false }, task: { ttl: 60_000 } } },
    CreateTaskResultSchema,
  );
  const { taskId } = created.task;
  await expect
    .poll(async () => (await client.request({ method: "tasks/get", params: { taskId } }, GetTaskResultSchema)).status, { timeout: 20_000, interval: 250 })
    .toBe("completed");
  const result = await client.request({ method: "tasks/result", params: { taskId } }, ResultSchema);
  return { taskId, result };
}

describe("tasks", () => {
  let everything: string;
  let aggregated: Client;
  let single: Client;

  beforeAll(async () => {
    everything = await registerServer("everything");
    aggregated = (await connectClient()).client;
    single = (await connectClient({ path: `/mcp/${everything}` })).client;
  });

  afterAll(async () => {
    await aggregated.close();
    await single.close();
  });

  it("routes a task created through /mcp back to its server, by an id that names it", async () => {
    const { taskId, result } = await runResearch(aggregated, `${everything}__simulate-research-query`);
    expect(taskId.startsWith(`${everything}__`)).toBe(true);
    expect(textOf(result)).toContain("gateways");
    const listed = await aggregated.request({ method: "tasks/list", params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((task) => task.taskId)).toContain(taskId);
  });

  it("passes task ids through unchanged on /mcp/<serverId>", async () => {
    const { taskId, result } = await runResearch(single, "simulate-research-query");
    expect(taskId.startsWith(`${everything}__`)).toBe(false);
    expect(textOf(result)).toContain("gateways");
    const listed = await single.request({ method: "tasks/list", params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((task) => task.taskId)).toContain(taskId);
  });

  it("cancels a running task, and refuses a task id that names no server", async () => {
    const created = await aggregated.request(
      { method: "tools/call", params: { name: `${everything}__simulate-research-query`, arguments: { topic: "cancel me" }, task: { ttl: 60_000 } } },
      CreateTaskResultSchema,
    );
    const cancelled = await aggregated.request({ method: "tasks/cancel", params: { taskId: created.task.taskId } }, CancelTaskResultSchema);
    expect(cancelled).toMatchObject({ taskId: created.task.taskId, status: "cancelled" });
    await expect(aggregated.request({ method: "tasks/get", params: { taskId: "no-prefix" } }, GetTaskResultSchema)).rejects.toMatchObject({ code: -32602 });
  });
});
