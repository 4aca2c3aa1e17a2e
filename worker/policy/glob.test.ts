import { describe, expect, it } from "vitest";
import { globMatcher } from "./glob.ts";

describe("globMatcher", () => {
  it("matches * and ? and literals", () => {
    expect(globMatcher("*")("anything")).toBe(true);
    expect(globMatcher("delete_*")("delete_repo")).toBe(true);
    expect(globMatcher("delete_*")("undelete_repo")).toBe(false);
    expect(globMatcher("*_file")("read_file")).toBe(true);
    expect(globMatcher("get?")("gets")).toBe(true);
    expect(globMatcher("get?")("get")).toBe(false);
    expect(globMatcher("a*b*c")("axxbyyc")).toBe(true);
    expect(globMatcher("a*b*c")("axxbyy")).toBe(false);
    expect(globMatcher("exact")("exact")).toBe(true);
    expect(globMatcher("exact")("exactly")).toBe(false);
    expect(globMatcher("file://*")("file:///etc/passwd")).toBe(true);
    expect(globMatcher("a.b")("axb")).toBe(false);
  });

  it("stays fast on patterns that make a backtracking regex explode", () => {
    const text = "a".repeat(5000);
    expect(globMatcher("*a*a*a*a*a*a*b")(text)).toBe(false);
  });
});
