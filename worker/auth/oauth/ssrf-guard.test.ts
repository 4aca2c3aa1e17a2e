import { describe, expect, it } from "vitest";
import { fetchTargetProblem } from "./ssrf-guard.ts";

const production = { allowLoopback: false };
const dev = { allowLoopback: true };

describe("the SSRF guard for client metadata documents", () => {
  it("accepts public https URLs", () => {
    expect(fetchTargetProblem("https://claude.ai/oauth/mcp-client.json", production)).toBeNull();
    expect(fetchTargetProblem("https://8.8.8.8/client.json", production)).toBeNull();
  });

  it("refuses private, loopback, link-local and reserved addresses, however they are spelled", () => {
    for (const url of [
      "https://127.0.0.1/c.json",
      "https://2130706433/c.json", // 127.0.0.1 as one decimal number
      "https://0x7f.1/c.json",
      "https://localhost/c.json",
      "https://app.localhost/c.json",
      "https://10.1.2.3/c.json",
      "https://172.20.0.1/c.json",
      "https://192.168.1.1/c.json",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/c.json",
      "https://0.0.0.0/c.json",
      "https://[::1]/c.json",
      "https://[fd00::1]/c.json",
      "https://[::ffff:10.0.0.1]/c.json",
      "https://intranet/c.json",
      "https://printer.local/c.json",
    ]) {
      expect(fetchTargetProblem(url, production), url).not.toBeNull();
    }
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
    expect(fetchTargetProblem("http://10.0.0.1/c.json", dev)).not.toBeNull();
    expect(fetchTargetProblem("file://127.0.0.1/etc/passwd", dev)).toMatch(/https/);
  });
});
