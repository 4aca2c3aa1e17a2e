// A server that is down must not eat memory. 500 failing calls from 4 sessions (SDK v1 clients) to a server
// registered on a port where nothing listens used to leave one endless resumption loop per failed call: the
// SDK takes a POST stream that ended with an error response as unanswered and resumes it with GET and
// Last-Event-ID every second, the gateway answered each with an empty stream, and workerd's memory grew
// with every one of those requests, long after the calls had ended. Now a finished stream's resumption is
// answered 204 (which ends the loop), and the server's failure is remembered, shared by every session, so
// calls within its back-off are answered at once with the last error instead of reconnecting.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { countOccurrences, freePort } from "../support/dev-project.ts";
import { StdioGateway } from "../support/stdio-gateway.ts";

let gateway: StdioGateway;

beforeAll(async () => {
  gateway = await StdioGateway.start();
});

afterAll(async () => {
  await gateway?.stop();
  gateway?.cleanUp();
});

/** Resident memory, in MB, of the workerd that runs the gateway (wrangler's own proxy is the other one). */
function gatewayRssMb(): number {
  const workerd = gateway.processesRunning("workerd").find((p) => p.cmdline.includes("--inspector-addr"));
  if (!workerd) throw new Error("the gateway's workerd is not running");
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${workerd.pid}/status`, "utf8"))?.[1]) / 1024;
}

it("leaves no request loop and no growing memory behind 500 failing calls to a server that is down", async () => {
  const deadPort = await freePort();
  await gateway.admin(2010, { serverId: "dead", transport: "streamable-http", url: `http://127.0.0.1:${deadPort}/mcp` });
  const sessions = await Promise.all([0, 1, 2, 3].map(() => gateway.client()));
  const errors: string[] = [];
  await Promise.all(
    sessions.map(async (client) => {
      for (let i = 0; i < 125; i++) {
        const failed = await client.callTool({ name: "dead__echo", arguments: { text: "x" } }).then(
          () => "answered",
          (error: unknown) => String((error as Error).message),
        );
        errors.push(failed);
      }
    }),
  );
  expect(errors.every((message) => message.includes(`Could not connect to server "dead"`))).toBe(true);
  // Within the back-off, sessions are told the last error at once, not another attempt's.
  expect(errors.some((message) => message.includes("not tried again before"))).toBe(true);

  // Each failed call's stream is resumed once, a second after it ended, and answered 204: let those land.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const quietFrom = gateway.dev.stdout().length;
  const before = gatewayRssMb();
  await new Promise((resolve) => setTimeout(resolve, 10_000));
  const after = gatewayRssMb();
  const requestsWhileQuiet = countOccurrences(gateway.dev.stdout().slice(quietFrom), '"event":"request"');
  console.log(`gateway workerd RSS ${before.toFixed(1)} MB after the 500 failed calls, ${after.toFixed(1)} MB 10 s later; ${requestsWhileQuiet} requests meanwhile`);
  expect(requestsWhileQuiet).toBe(0);
  expect(after - before).toBeLessThan(5);
});
