// The bridge on its own (containers/bridge/main.ts, as the image and the dev supervisor run it) with a
// real stdio server: what it must never do is hand one connection what belongs to another's call.
import { type ChildProcess, spawn } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, REPO_ROOT } from "../support/dev-project.ts";
import { EVERYTHING, eventually, textOf } from "../support/stdio-gateway.ts";

describe("the stdio bridge", () => {
  let bridge: ChildProcess;
  let url: URL;

  beforeAll(async () => {
    const port = await freePort();
    url = new URL(`http://127.0.0.1:${port}/mcp`);
    bridge = spawn(process.execPath, [`${REPO_ROOT}containers/bridge/main.ts`], {
      env: { ...process.env, BRIDGE_PORT: String(port), BRIDGE_HOST: "127.0.0.1", BRIDGE_COMMAND: process.execPath, BRIDGE_ARGS: JSON.stringify([EVERYTHING, "stdio"]) },
      stdio: "ignore",
    });
    await eventually(async () => (await fetch(new URL("/health", url)).then((r) => r.json() as Promise<{ status: string }>).catch(() => null))?.status === "online", 60_000, "bridge start");
  });

  afterAll(() => {
    bridge.kill("SIGTERM");
  });

  /** A client whose requests carry their own connection label, as each gateway connection's do. */
  async function connect(label: string, onSampling: () => void): Promise<Client> {
    const client = new Client({ name: label, version: "1.0.0" }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      onSampling();
      return { role: "assistant", content: { type: "text", text: `sampled by ${label}` }, model: "m" };
    });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { "x-bridge-client": label } } }));
    return client;
  }

  it("serves many connections from one process, each with its own progress", async () => {
    const [a, b] = [await connect("a", () => {}), await connect("b", () => {})];
    const progress = { a: 0, b: 0 };
    const [ra, rb] = await Promise.all([
      a.callTool({ name: "trigger-long-running-operation", arguments: { duration: 1, steps: 2 } }, undefined, { onprogress: () => progress.a++ }),
      b.callTool({ name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } }, undefined, { onprogress: () => progress.b++ }),
    ]);
    expect(textOf(ra)).toContain("Steps: 2");
    expect(textOf(rb)).toContain("Steps: 3");
    expect(progress).toEqual({ a: 2, b: 3 });
    await Promise.all([a.close(), b.close()]);
  });

  it("sends a server's request to the one connection in flight, and to none while several are", async () => {
    const asked = { a: 0, b: 0 };
    const [a, b] = [await connect("a", () => asked.a++), await connect("b", () => asked.b++)];
    expect(textOf(await b.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi" } }))).toContain("sampled by b");
    expect(asked).toEqual({ a: 0, b: 1 });

    // a's call is in flight while b's asks for sampling: it could belong to either, so neither is asked.
    // Its first progress notification proves it is in flight; three more seconds of it remain.
    let inFlight: () => void = () => {};
    const started = new Promise<void>((resolve) => (inFlight = resolve));
    const long = a.callTool({ name: "trigger-long-running-operation", arguments: { duration: 4, steps: 4 } }, undefined, { onprogress: () => inFlight() });
    await started;
    const refused = await b.callTool({ name: "trigger-sampling-request", arguments: { prompt: "hi" } }).then(
      (result) => textOf(result),
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(refused).toContain("No single client call is in flight");
    await long;
    expect(asked).toEqual({ a: 0, b: 1 });
    await Promise.all([a.close(), b.close()]);
  });
});
