import { describe, expect, it } from "vitest";
import { cidrContains, parseCidr, parseIp } from "./cidr.ts";

function contains(cidr: string, ip: string): boolean {
  return cidrContains(parseCidr(cidr)!, parseIp(ip)!);
}

describe("CIDR", () => {
  it("parses IPv4 and IPv6 addresses", () => {
    expect(parseIp("10.1.2.3")).toEqual({ family: 4, value: 0x0a010203n });
    expect(parseIp("::1")).toEqual({ family: 6, value: 1n });
    expect(parseIp("2001:db8::8a2e:370:7334")?.value).toBe(0x20010db80000000000008a2e03707334n);
    expect(parseIp("1:2:3:4:5:6:7:8")?.value).toBe(0x00010002000300040005000600070008n);
    expect(parseIp("fe80::1%eth0")?.value).toBe(0xfe800000000000000000000000000001n);
    expect(parseIp("::ffff:192.0.2.1")).toEqual({ family: 4, value: 0xc0000201n });
    expect(parseIp("64:ff9b::192.0.2.1")?.value).toBe(0x0064ff9b0000000000000000c0000201n);
  });

  it("rejects what is not an address", () => {
    for (const bad of ["", "1.2.3", "256.1.1.1", "01.2.3.4", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "g::1", "::1.2.3", "1:2:3:4:5:6:7"]) {
      expect(parseIp(bad), bad).toBeNull();
    }
    for (const bad of ["10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8/1", "nope/8"]) expect(parseCidr(bad), bad).toBeNull();
  });

  it("matches within the prefix, per family", () => {
    expect(contains("10.0.0.0/8", "10.255.1.1")).toBe(true);
    expect(contains("10.0.0.0/8", "11.0.0.1")).toBe(false);
    expect(contains("192.0.2.7", "192.0.2.7")).toBe(true);
    expect(contains("0.0.0.0/0", "203.0.113.9")).toBe(true);
    expect(contains("2001:db8::/32", "2001:db8:ffff::1")).toBe(true);
    expect(contains("2001:db8::/32", "2001:db9::1")).toBe(false);
    expect(contains("::/0", "10.0.0.1")).toBe(false);
    expect(contains("10.0.0.0/8", "::ffff:10.0.0.1")).toBe(true);
    expect(contains("2001:db8:abcd:12::/64", "2001:db8:abcd:12:ffff:ffff:ffff:ffff")).toBe(true);
    expect(contains("2001:db8:abcd:12::/64", "2001:db8:abcd:13::")).toBe(false);
  });
});
