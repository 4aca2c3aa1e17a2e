import { describe, expect, it } from "vitest";
import { exposedName, exposedUri, parseExposedName, parseExposedUri, resolveLocalName } from "./names.ts";

describe("tool and prompt names", () => {
  it("prefixes the server id with a double underscore", () => {
    expect(exposedName("github", "create_issue")).toBe("github__create_issue");
    expect(parseExposedName("github__create_issue")).toEqual({ serverId: "github", local: "create_issue" });
  });

  it("accepts the serverId::name alias on input", () => {
    expect(parseExposedName("github::create_issue")).toEqual({ serverId: "github", local: "create_issue" });
  });

  it("keeps a double underscore inside the tool name", () => {
    expect(parseExposedName("a-b__do__it")).toEqual({ serverId: "a-b", local: "do__it" });
  });

  it("refuses names that name no valid server", () => {
    for (const name of ["plain", "__tool", "Bad__tool", "srv__", "x_y__tool"]) expect(parseExposedName(name), name).toBeNull();
  });

  it("shortens long names deterministically, within 64 valid characters, and maps them back", () => {
    const long = "a".repeat(80);
    const other = `${"a".repeat(79)}b`;
    const shortA = exposedName("server-with-long-id", long);
    const shortB = exposedName("server-with-long-id", other);
    expect(shortA).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(shortA).toHaveLength(64);
    expect(shortA).toBe(exposedName("server-with-long-id", long));
    expect(shortA).not.toBe(shortB);
    const parsed = parseExposedName(shortA)!;
    expect(resolveLocalName(parsed.serverId, parsed.local, [other, long])).toBe(long);
  });

  it("maps names with characters LLM APIs refuse", () => {
    const exposed = exposedName("fs", "files.read/v2");
    expect(exposed).toMatch(/^fs__files_read_v2_[0-9a-f]{8}$/);
    expect(resolveLocalName("fs", parseExposedName(exposed)!.local, ["files.read/v2", "files_read_v2"])).toBe("files.read/v2");
    expect(resolveLocalName("fs", "files.read/v2", ["files.read/v2"])).toBe("files.read/v2");
    expect(resolveLocalName("fs", "missing", ["files.read/v2"])).toBeNull();
  });
});

describe("resource URIs", () => {
  it("round-trips through the server prefix, including URIs that contain slashes and schemes", () => {
    for (const uri of ["test://static/resource/1", "file:///etc/hosts", "https://x.example/a?b=c#d"]) {
      expect(parseExposedUri(exposedUri("docs", uri))).toEqual({ serverId: "docs", uri });
    }
  });

  it("refuses URIs that are not ours", () => {
    for (const uri of ["test://static/1", "peta://", "peta://docs/", "peta://Bad/x"]) expect(parseExposedUri(uri), uri).toBeNull();
  });
});
