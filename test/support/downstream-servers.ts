import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { freePort } from "../../scripts/lib/free-port.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface RunningServer {
  url: string;
  process: ChildProcess;
}

/**
 * Starts a fixture (`test/fixtures/fixture-server.ts`, 2025-era, or `fixture-2026-server.ts`, which
 * speaks only 2026-07-28) and resolves with its URL once it listens.
 */
export function startFixtureServer(name: string, script = "fixture-server.ts"): Promise<RunningServer> {
  const child = spawn(process.execPath, [`${root}test/fixtures/${script}`, name, "0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\S+)/.exec(output);
      if (match?.[1]) resolve({ url: match[1], process: child });
    });
    child.once("exit", (code) => reject(new Error(`fixture ${name} exited with ${code} before listening`)));
  });
}

/** Starts the reference server `@modelcontextprotocol/server-everything` over Streamable HTTP. */
export async function startEverythingServer(): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, [`${root}node_modules/@modelcontextprotocol/server-everything/dist/index.js`, "streamableHttp"], {
    cwd: root,
    env: { ...process.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForPort(port, 20_000);
  return { url: `http://127.0.0.1:${port}/mcp`, process: child };
}


async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}

export function stopServer(server: RunningServer): void {
  if (server.process.exitCode === null) server.process.kill("SIGTERM");
}
