import { describe, expect, it } from "vitest";
import { fetchTargetProblem, type HostClass, judgeHost } from "./ssrf-guard.ts";

const production = { allowLoopback: false };
const dev = { allowLoopback: true };

/** Each name as a client could spell it, and what it is once normalised as the fetch would resolve it. */
const NAMES: [name: string, host: string, kind: HostClass][] = [
  // Public names and addresses, however they are written.
  ["claude.ai", "claude.ai", "public"],
  ["claude.ai.", "claude.ai", "public"],
  ["CLAUDE.AI", "claude.ai", "public"],
  ["例え.テスト", "xn--r8jz45g.xn--zckzah", "public"],
  ["8.8.8.8", "8.8.8.8", "public"],
  ["[2606:4700::1111]", "[2606:4700::1111]", "public"],
  ["[64:ff9b::808:808]", "[64:ff9b::808:808]", "public"], // NAT64 of 8.8.8.8
  // Loopback.
  ["localhost", "localhost", "loopback"],
  ["localhost.", "localhost", "loopback"],
  ["LocalHost..", "localhost", "loopback"],
  ["ｌｏｃａｌｈｏｓｔ", "localhost", "loopback"], // full-width letters, mapped by IDNA
  ["%6c%6f%63%61%6c%68%6f%73%74", "localhost", "loopback"],
  ["foo.localhost", "foo.localhost", "loopback"],
  ["foo.localhost.", "foo.localhost", "loopback"],
  ["127.0.0.1", "127.0.0.1", "loopback"],
  ["127.0.0.1..", "127.0.0.1", "loopback"],
  ["127.1", "127.0.0.1", "loopback"],
  ["0x7f.1", "127.0.0.1", "loopback"],
  ["0x7f.1.", "127.0.0.1", "loopback"],
  ["0177.0.0.1", "127.0.0.1", "loopback"],
  ["2130706433", "127.0.0.1", "loopback"],
  ["①②⑦.0.0.1", "127.0.0.1", "loopback"],
  ["[::1]", "[::1]", "loopback"],
  ["[0:0:0:0:0:0:0:1]", "[::1]", "loopback"],
  ["[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "loopback"],
  ["[::127.0.0.1]", "[::7f00:1]", "loopback"],
  // Private, link-local, reserved.
  ["10.1.2.3", "10.1.2.3", "private"],
  ["172.20.0.1", "172.20.0.1", "private"],
  ["192.168.1.1", "192.168.1.1", "private"],
  ["169.254.169.254", "169.254.169.254", "private"],
  ["0xa9.0xfe.0xa9.0xfe", "169.254.169.254", "private"],
  ["100.64.0.1", "100.64.0.1", "private"],
  ["0", "0.0.0.0", "private"],
  ["0.0.0.0", "0.0.0.0", "private"],
  ["255.255.255.255", "255.255.255.255", "private"],
  ["192.0.2.1", "192.0.2.1", "private"],
  ["[::]", "[::]", "private"],
  ["[fd00::1]", "[fd00::1]", "private"],
  ["[fd00:ec2::254]", "[fd00:ec2::254]", "private"], // a cloud metadata service
  ["[fe80::1]", "[fe80::1]", "private"],
  ["[ff02::1]", "[ff02::1]", "private"],
  ["[2001:db8::1]", "[2001:db8::1]", "private"],
  ["[::ffff:10.0.0.1]", "[::ffff:a00:1]", "private"],
  ["[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]", "private"],
  ["[64:ff9b::a00:1]", "[64:ff9b::a00:1]", "private"], // NAT64 of 10.0.0.1
  ["[2002:a9fe:a9fe::]", "[2002:a9fe:a9fe::]", "private"], // 6to4 of 169.254.169.254
  // Names only a local resolver answers.
  ["intranet", "intranet", "single-label"],
  ["intranet.", "intranet", "single-label"],
  ["metadata", "metadata", "single-label"],
  ["printer.local", "printer.local", "local-name"],
  ["printer.lan", "printer.lan", "local-name"],
  ["printer.lan.", "printer.lan", "local-name"],
  ["printer.ＬＡＮ", "printer.lan", "local-name"],
  ["metadata.google.internal", "metadata.google.internal", "local-name"],
  ["metadata.google.internal.", "metadata.google.internal", "local-name"],
  ["nas.home.arpa", "nas.home.arpa", "local-name"],
  ["nas.home.arpa.", "nas.home.arpa", "local-name"],
  ["db.localdomain", "db.localdomain", "local-name"],
  ["db.localdomain.", "db.localdomain", "local-name"],
  ["files.corp", "files.corp", "local-name"],
];

describe("judgeHost: a host name normalised, then classified", () => {
  it.each(NAMES)("%s is %s (%s)", (name, host, kind) => {
    expect(judgeHost(name)).toEqual({ host, kind });
  });

  it("refuses what is not a host name at all", () => {
    for (const name of ["", ".", "..", "1.2.3.4.5", "a b", "evil.example@127.0.0.1", "127.0.0.1:80", "x/y", "[fe80::1%25eth0]", "[::1"]) {
      expect(judgeHost(name), name).toBeNull();
    }
  });
});

describe("the SSRF guard for client metadata documents", () => {
  it("accepts public https URLs", () => {
    expect(fetchTargetProblem("https://claude.ai/oauth/mcp-client.json", production)).toBeNull();
    expect(fetchTargetProblem("https://claude.ai./oauth/mcp-client.json", production)).toBeNull();
    expect(fetchTargetProblem("https://8.8.8.8/client.json", production)).toBeNull();
  });

  it.each(NAMES.filter(([, , kind]) => kind !== "public"))("refuses https://%s/c.json", (name) => {
    expect(fetchTargetProblem(`https://${name}/c.json`, production)).not.toBeNull();
  });

  it("refuses IPv6 literals, even public ones", () => {
    expect(fetchTargetProblem("https://[2606:4700::1111]/c.json", production)).toMatch(/IPv6/);
  });

  it("refuses http, other ports, credentials and fragments", () => {
    expect(fetchTargetProblem("http://client.example/c.json", production)).toMatch(/https/);
    expect(fetchTargetProblem("https://client.example:8443/c.json", production)).toMatch(/port/);
    expect(fetchTargetProblem("https://user:pw@client.example/c.json", production)).toMatch(/credentials/);
    expect(fetchTargetProblem("https://client.example/c.json#x", production)).toMatch(/fragment/);
    expect(fetchTargetProblem("not a url", production)).toMatch(/absolute/);
  });

  it("allows loopback, and only loopback, in development", () => {
    expect(fetchTargetProblem("http://127.0.0.1:4000/c.json", dev)).toBeNull();
    expect(fetchTargetProblem("http://localhost:4000/c.json", dev)).toBeNull();
    expect(fetchTargetProblem("http://localhost.:4000/c.json", dev)).toBeNull();
    expect(fetchTargetProblem("http://10.0.0.1/c.json", dev)).not.toBeNull();
    expect(fetchTargetProblem("http://printer.lan./c.json", dev)).not.toBeNull();
    expect(fetchTargetProblem("file://127.0.0.1/etc/passwd", dev)).toMatch(/https/);
  });
});
