import { describe, expect, it } from "vitest";
import { RpcFailure } from "./protocol.ts";
import { normaliseResourceUri } from "./resource-uri.ts";

describe("resource URI normalisation", () => {
  it.each([
    ["fixture://doc/2", "fixture://doc/2"],
    ["FIXTURE://doc/2", "fixture://doc/2"],
    ["fixture://DOC/2", "fixture://doc/2"],
    ["fixture://doc/./2", "fixture://doc/2"],
    ["fixture://doc/x/../2", "fixture://doc/2"],
    ["fixture://doc/../../2", "fixture://doc/2"],
    ["fixture://doc/%2e/2", "fixture://doc/2"],
    ["fixture://doc/x/%2E%2e/2", "fixture://doc/2"],
    ["fixture://doc/%32", "fixture://doc/2"],
    ["fixture://%64oc/2", "fixture://doc/2"],
    ["fixture://doc/a%7eb", "fixture://doc/a~b"],
    ["fixture://doc/a%2fb", "fixture://doc/a%2Fb"],
    ["fixture://doc/a b", "fixture://doc/a%20b"],
    ["fixture://doc/2?q=%41#%42", "fixture://doc/2?q=A#B"],
    ["HTTP://Example.COM:80/a/./b/../c", "http://example.com/a/c"],
    ["file:///tmp/../etc/passwd", "file:///etc/passwd"],
    ["urn:isbn:0451450523", "urn:isbn:0451450523"],
    ["test://static-text", "test://static-text"],
  ])("%s is read as %s", (uri, normalised) => {
    expect(normaliseResourceUri(uri)).toBe(normalised);
  });

  it.each([
    ["fixture://doc/2 ", "begins or ends with whitespace"],
    [" fixture://doc/2", "begins or ends with whitespace"],
    ["fixture://doc/2\n", "begins or ends with whitespace"],
    ["fixture://doc/\t2", "control character"],
    ["fixture://doc/\u00002", "control character"],
    ["doc/2", "not an absolute URI"],
    ["", "not an absolute URI"],
    ["fixture://[bad/2", "not an absolute URI"],
  ])("refuses %j: %s", (uri, why) => {
    let failure: unknown;
    try {
      normaliseResourceUri(uri);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(RpcFailure);
    expect((failure as RpcFailure).code).toBe(-32602);
    expect((failure as RpcFailure).message).toContain(why);
  });
});
