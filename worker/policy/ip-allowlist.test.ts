import { describe, expect, it } from "vitest";
import { IpListCache, ipListsFromRows, ipRefusal, type IpLists } from "./ip-allowlist.ts";

const lists = ipListsFromRows([
  { userId: null, mode: "allow-list", cidrs: ["10.0.0.0/8", "2001:db8::/32"] },
  { userId: "u1", mode: "allow-list", cidrs: ["10.1.0.0/16"] },
  { userId: "u2", mode: "allow-all", cidrs: [] },
]);

describe("IP allow-lists", () => {
  it("passes addresses inside the list, IPv4 and IPv6, and refuses others and unknown ones", () => {
    expect(ipRefusal(lists.global, "10.9.9.9")).toBeNull();
    expect(ipRefusal(lists.global, "2001:db8:42::1")).toBeNull();
    expect(ipRefusal(lists.global, "192.0.2.1")).toContain("not on the IP allow-list");
    expect(ipRefusal(lists.global, "2001:db9::1")).toContain("not on");
    expect(ipRefusal(lists.global, null)).toContain("unknown");
    expect(ipRefusal(lists.global, "garbage")).toContain("unknown");
    expect(ipRefusal(lists.users.u1, "10.2.0.1")).toContain("not on");
    expect(ipRefusal(lists.users.u2, "192.0.2.1")).toBeNull();
    expect(ipRefusal(lists.users.nobody, "192.0.2.1")).toBeNull();
    expect(ipRefusal(ipListsFromRows([]).global, null)).toBeNull();
  });

  it("caches per interval, keeps the last list when a read fails, and refuses with none ever read", async () => {
    let clock = 0;
    let reads = 0;
    let failing = true;
    const cache = new IpListCache(5000, () => clock);
    const load = async (): Promise<IpLists> => {
      reads++;
      if (failing) throw new Error("database down");
      return lists;
    };

    expect((await cache.current(load)).lists).toBeNull();
    failing = false;
    expect((await cache.current(load)).lists).toBe(lists);
    clock = 4999;
    expect((await cache.current(load)).refresh).toBeNull();
    expect(reads).toBe(2);

    failing = true;
    clock = 5001;
    const stale = await cache.current(load);
    expect(stale.lists).toBe(lists);
    await stale.refresh;
    expect(reads).toBe(3);
    const still = await cache.current(load);
    expect(still.lists).toBe(lists);
    await still.refresh;
    expect(reads).toBe(4);

    failing = false;
    cache.invalidate();
    await (await cache.current(load)).refresh;
    expect(reads).toBe(5);
  });

  it("after a change in this isolate, the next requests wait for the new lists; with the database down they go on with the last", async () => {
    const before = ipListsFromRows([]);
    const after = ipListsFromRows([{ userId: null, mode: "allow-list", cidrs: ["10.0.0.0/8"] }]);
    let stored = before;
    let failing = false;
    let reads = 0;
    const cache = new IpListCache(5000, () => 0);
    const load = async (): Promise<IpLists> => {
      reads++;
      if (failing) throw new Error("database down");
      return stored;
    };
    expect((await cache.current(load)).lists).toBe(before);

    stored = after;
    // Within the interval, an unannounced change is not seen; an announced one is, at once, by everyone asking.
    expect((await cache.current(load)).lists).toBe(before);
    cache.invalidate();
    const [first, second] = await Promise.all([cache.current(load), cache.current(load)]);
    expect([first.lists, second.lists]).toEqual([after, after]);
    expect(reads).toBe(2);

    failing = true;
    stored = before;
    cache.invalidate();
    expect((await cache.current(load)).lists).toBe(after);
    expect(reads).toBe(3);
    // Given up on: later requests are not held up, and refresh in the background until a read succeeds.
    const next = await cache.current(load);
    expect(next.lists).toBe(after);
    expect(next.refresh).not.toBeNull();
    await next.refresh;
    failing = false;
    const recovering = await cache.current(load);
    expect(recovering.lists).toBe(after);
    await recovering.refresh;
    expect((await cache.current(load)).lists).toBe(before);
  });

  it("never lets a read started before a change overwrite the lists read after it", async () => {
    const old = ipListsFromRows([]);
    const fresh = ipListsFromRows([{ userId: null, mode: "allow-list", cidrs: ["10.0.0.0/8"] }]);
    let clock = 0;
    const cache = new IpListCache(5000, () => clock);
    expect((await cache.current(async () => old)).lists).toBe(old);
    clock = 6000;
    let finishSlow: (lists: IpLists) => void = () => {};
    const slowRead = new Promise<IpLists>((resolve) => (finishSlow = resolve));
    const stale = await cache.current(() => slowRead);
    cache.invalidate();
    expect((await cache.current(async () => fresh)).lists).toBe(fresh);
    finishSlow(old);
    await stale.refresh;
    expect((await cache.current(async () => old)).lists).toBe(fresh);
  });
});
