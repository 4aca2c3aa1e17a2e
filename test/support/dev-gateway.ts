// `npm run dev` in a fresh project with generated secrets and the "alpha" fixture server on loopback: what
// the browser tests drive, and the one way they call its actions.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatDevVars, generateSecrets } from "../../scripts/lib/dev-vars.ts";
import { type DevProcess, freePort, makeDevProject, startDev, stopDev, waitForHealthy } from "./dev-project.ts";
import { startFixtureServer, stopServer, type RunningServer } from "./downstream-servers.ts";

export interface DevGateway {
  dev: DevProcess;
  origin: string;
  ownerKey: string;
  fixture: RunningServer;
  /** One action of `path` with `credential`, its envelope parsed. */
  call(path: "/admin" | "/user", credential: string, action: number, data: unknown): Promise<{ success: boolean; data: Record<string, unknown> }>;
}

export async function startDevGateway(): Promise<DevGateway> {
  const dir = makeDevProject();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const secrets = await generateSecrets();
  writeFileSync(join(dir, ".dev.vars"), formatDevVars(secrets));
  const dev = startDev(dir, port);
  const [fixture] = await Promise.all([startFixtureServer("alpha"), waitForHealthy(dev, origin)]);
  return {
    dev,
    origin,
    ownerKey: secrets.OWNER_KEY,
    fixture,
    call: (path, credential, action, data) =>
      fetch(`${origin}${path}`, { method: "POST", headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" }, body: JSON.stringify({ action, data }) }).then(
        (r) => r.json() as Promise<{ success: boolean; data: Record<string, unknown> }>,
      ),
  };
}

export async function stopDevGateway(gateway: DevGateway | undefined): Promise<void> {
  if (!gateway) return;
  stopServer(gateway.fixture);
  await stopDev(gateway.dev);
}
