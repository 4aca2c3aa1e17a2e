import { describe, expect, it } from "vitest";
import { BACKOFF_MAX_MS, restartDelayMs } from "../../containers/bridge/backoff.ts";
import { instanceName, launchDigest, usesUserValues } from "./stdio-definition.ts";
import { asleep, failed, NEVER_STARTED, online, restartDelay, starting, statusOf, wakeBlockedForMs } from "./stdio-lifecycle.ts";

const T0 = new Date("2026-12-01T00:00:00.000Z");
const at = (ms: number) => new Date(T0.getTime() + ms);
const stdio = (env: Record<string, string>) => ({ command: "npx", args: ["-y", "pkg"], env, idleSeconds: 300, keepWarm: false });

describe("stdio instance lifecycle (shared by the Container DO and the dev supervisor)", () => {
  it("backs off exponentially while an instance keeps failing, and not at all after one crash", () => {
    expect([0, 1, 2, 3, 4].map(restartDelayMs)).toEqual([0, 500, 1000, 2000, 4000]);
    expect(restartDelayMs(40)).toBe(BACKOFF_MAX_MS);

    const once = failed(online(NEVER_STARTED, T0), "exited", T0);
    expect(wakeBlockedForMs(once, T0)).toBe(0);
    const thrice = failed(failed(once, "exited", T0), "exited", T0);
    expect(wakeBlockedForMs(thrice, at(0))).toBe(1000);
    expect(wakeBlockedForMs(thrice, at(999))).toBe(1);
    expect(wakeBlockedForMs(thrice, at(1000))).toBe(0);
  });

  it("restarts only a warm instance by itself; a healthy start clears the run of failures", () => {
    const broken = failed(failed(NEVER_STARTED, "a", T0), "b", T0);
    expect(restartDelay(broken, false)).toBeNull();
    expect(restartDelay(broken, true)).toBe(500);
    expect(restartDelay(asleep(broken, T0), true)).toBeNull();
    const healed = online(starting(broken, T0), at(5));
    expect(healed).toMatchObject({ state: "online", failures: 0, starts: 1, lastError: "b" });
    expect(statusOf("srv", healed)).toEqual({ instance: "srv", state: "online", lastError: "b", since: at(5).toISOString(), starts: 1 });
  });

  it("gives a server one instance per user only when its env uses {{user:…}}", () => {
    expect(instanceName("gh", stdio({ TOKEN: "{{secret:T}}" }), "u1")).toBe("gh");
    expect(usesUserValues(stdio({ TOKEN: "Bearer {{user:T}}" }))).toBe(true);
    expect(instanceName("gh", stdio({ TOKEN: "{{user:T}}" }), "u1")).toBe("gh~u1");
    expect(instanceName("gh", stdio({ TOKEN: "{{user:T}}" }), null)).toBe("gh~owner");
  });

  it("changes the launch digest when any part of the launch changes, a value included", async () => {
    const launch = { instance: "gh", command: "npx", args: ["a"], env: { TOKEN: "one" }, idleSeconds: 300, keepWarm: false, generation: 1 };
    const digest = await launchDigest(launch);
    expect(await launchDigest({ ...launch })).toBe(digest);
    expect(await launchDigest({ ...launch, env: { TOKEN: "two" } })).not.toBe(digest);
    expect(await launchDigest({ ...launch, keepWarm: true })).not.toBe(digest);
    expect(await launchDigest({ ...launch, generation: 2 })).not.toBe(digest);
  });
});
