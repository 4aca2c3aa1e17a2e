import { describe, expect, it } from "vitest";
import { AhoCorasick } from "./aho-corasick.ts";

function matches(automaton: AhoCorasick, text: string): [number, number][] {
  const found: [number, number][] = [];
  automaton.forEachMatch(text, (start, needle) => found.push([start, needle]));
  return found;
}

describe("AhoCorasick", () => {
  it("reports every occurrence of every needle, suffixes and overlaps included", () => {
    const automaton = new AhoCorasick(["he", "she", "his", "hers"]);
    // "ushers": she@1, he@2 (both end at 3), hers@2.
    expect(matches(automaton, "ushers")).toEqual([
      [1, 1],
      [2, 0],
      [2, 3],
    ]);
    expect(matches(automaton, "ahishe")).toEqual([
      [1, 2],
      [3, 1],
      [4, 0],
    ]);
    expect(matches(automaton, "nothing")).toEqual([]);
  });

  it("finds overlapping occurrences of a periodic needle", () => {
    expect(matches(new AhoCorasick(["aaa"]), "aaaaa").map(([start]) => start)).toEqual([0, 1, 2]);
  });

  it("folds ASCII case only when asked, and compares other characters exactly", () => {
    expect(matches(new AhoCorasick(["%c3%a9"], true), "x%C3%A9 %c3%A9")).toEqual([
      [1, 0],
      [8, 0],
    ]);
    expect(matches(new AhoCorasick(["ab"]), "AB ab")).toEqual([[3, 0]]);
    expect(matches(new AhoCorasick(["é€"], true), "É€ é€")).toEqual([[3, 0]]);
  });
});
