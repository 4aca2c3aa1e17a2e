// `npm run dev` boots from nothing: a project directory with no .dev.vars and no .data, no DATABASE_URL.
import { existsSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countOccurrences,
  DB_SHUTDOWNED,
  type DevProcess,
  describeOutput,
  freePort,
  makeDevProject,
  parseDevVars,
  pgControlState,
  portAnswers,
  processesOf,
  startDev,
  waitForHealthy,
  waitForNoProcesses,
} from "../support/dev-project.ts";

interface ActionBody<T> {
  success: boolean;
  data?: T;
  error?: { code: number; message: string };
}

interface UserView {
  userId: string;
  name: string;
  role: string;
}

async function admin<T>(origin: string, credential: string, action: number, data: unknown) {
  const response = await fetch(`${origin}/admin`, {
    method: "POST",
    headers: { authorization: `Bearer ${credential}`, "content-type": "application/json" },
    body: JSON.stringify({ action, data }),
    signal: AbortSignal.timeout(15_000),
  });
  return { status: response.status, body: (await response.json()) as ActionBody<T> };
}

/** Signals the launcher, waits (bounded) for it to exit, and checks that it took everything with it. */
async function stopAndCheckNothingLeft(dev: DevProcess, dir: string, port: number, signal: "SIGINT" | "SIGTERM" | "SIGHUP") {
  expect(dev.child.exitCode, `npm run dev died before it was told to stop.\n${describeOutput(dev)}`).toBeNull();
  dev.child.kill(signal);
  const exit = await Promise.race([
    dev.exited,
    new Promise<"still running">((resolve) => setTimeout(() => resolve("still running"), 30_000)),
  ]);
  expect(exit, `npm run dev ignored ${signal}.\n${describeOutput(dev)}`).not.toBe("still running");

  const left = await waitForNoProcesses(dir);
  expect(left, `processes left behind after ${signal}`).toEqual([]);
  expect(await portAnswers(port), `port ${port} still answers after ${signal}`).toBe(false);
  // The embedded Postgres was closed, not just abandoned: its control file records a clean shutdown.
  expect(pgControlState(join(dir, ".data", "pglite")), "PGlite was not shut down cleanly").toBe(DB_SHUTDOWNED);
  expect(dev.stderr()).not.toContain("npm run dev failed");
  // A stop the user asked for is a success, whatever exit status wrangler reported on the way down.
  expect(exit).toEqual({ code: 0, signal: null });
}

describe("npm run dev boots from nothing", () => {
  let dir: string;
  let devVarsPath: string;
  const running: DevProcess[] = [];

  // Shared between the two runs: what run 1 created, run 2 must still see.
  let devVarsText = "";
  let ownerKey = "";
  let created: UserView | undefined;

  beforeAll(() => {
    dir = makeDevProject();
    devVarsPath = join(dir, ".dev.vars");
  });

  afterAll(async () => {
    // Only on failure is anything still running; end exactly the processes this test started.
    for (const dev of running) if (dev.child.exitCode === null && dev.child.signalCode === null) dev.child.kill("SIGKILL");
    for (const leftover of processesOf(dir)) {
      try {
        process.kill(leftover.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("first run: writes .dev.vars, prints the owner key once, serves /health over embedded Postgres, stops on SIGINT", async () => {
    expect(existsSync(devVarsPath)).toBe(false);
    expect(existsSync(join(dir, ".data"))).toBe(false);

    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const dev = startDev(dir, port);
    running.push(dev);

    const health = await waitForHealthy(dev, origin);
    expect(health).toMatchObject({ status: "ok", database: { ok: true } });

    // .dev.vars: every required secret, readable by the owner only.
    expect(statSync(devVarsPath).mode & 0o777).toBe(0o600);
    devVarsText = readFileSync(devVarsPath, "utf8");
    const vars = parseDevVars(devVarsText);
    expect(Object.keys(vars).sort()).toEqual(["JWT_SIGNING_KEY", "OWNER_KEY", "VAULT_KEYS"]);
    ownerKey = vars.OWNER_KEY ?? "";
    expect(ownerKey).toMatch(/^ok_[A-Za-z0-9_-]{43}$/);
    const vaultKeys = JSON.parse(vars.VAULT_KEYS ?? "") as { id: string; key: string }[];
    expect(vaultKeys).toHaveLength(1);
    expect(Buffer.from(vaultKeys[0]?.key ?? "", "base64")).toHaveLength(32);
    const jwk = JSON.parse(vars.JWT_SIGNING_KEY ?? "") as Record<string, unknown>;
    expect(jwk).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256" });
    expect(typeof jwk.d).toBe("string");
    expect(typeof jwk.kid).toBe("string");

    // The owner key is printed exactly once, on stdout, and nowhere else; the other secrets never.
    expect(countOccurrences(dev.stdout(), ownerKey)).toBe(1);
    expect(countOccurrences(dev.stderr(), ownerKey)).toBe(0);
    for (const secret of [vaultKeys[0]?.key ?? "", String(jwk.d)]) {
      expect(countOccurrences(dev.stdout() + dev.stderr(), secret)).toBe(0);
    }
    expect(existsSync(join(dir, ".data", "pglite"))).toBe(true);

    // The printed key is the owner's: it may create a user.
    const name = `dev-launcher-${port}`;
    const create = await admin<{ userId: string; apiKey: string; user: UserView }>(origin, ownerKey, 1010, { name });
    expect(create.body.error).toBeUndefined();
    expect(create.status).toBe(200);
    expect(create.body.data?.user).toMatchObject({ name, role: "user" });
    expect(create.body.data?.apiKey).toMatch(/^pk_/);
    created = create.body.data?.user;

    // And a wrong key may not.
    const refused = await admin(origin, `${ownerKey}x`, 1010, { name });
    expect(refused.status).toBe(401);

    await stopAndCheckNothingLeft(dev, dir, port, "SIGINT");
  });

  it("second run: keeps .dev.vars as-is, prints no key, keeps the data, stops on SIGTERM", async () => {
    expect(created, "the first run did not get as far as creating a user").toBeDefined();
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const dev = startDev(dir, port);
    running.push(dev);

    await waitForHealthy(dev, origin);
    expect(readFileSync(devVarsPath, "utf8")).toBe(devVarsText);
    expect(statSync(devVarsPath).mode & 0o777).toBe(0o600);
    expect(countOccurrences(dev.stdout() + dev.stderr(), ownerKey)).toBe(0);
    expect(dev.stdout()).not.toContain("Wrote .dev.vars");

    const listed = await admin<{ users: UserView[] }>(origin, ownerKey, 1011, {});
    expect(listed.status).toBe(200);
    expect(listed.body.data?.users).toContainEqual(expect.objectContaining({ userId: created?.userId, name: created?.name }));

    await stopAndCheckNothingLeft(dev, dir, port, "SIGTERM");
  });

  it("third run: a closed terminal (SIGHUP) stops everything too", async () => {
    const port = await freePort();
    const dev = startDev(dir, port);
    running.push(dev);
    await waitForHealthy(dev, `http://127.0.0.1:${port}`);
    await stopAndCheckNothingLeft(dev, dir, port, "SIGHUP");
  });
});
