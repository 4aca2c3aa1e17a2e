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
});
