/**
 * Server and tool globs of rule `match`: `*` is any run of characters (also none), `?` one character,
 * everything else literal. Matched by hand rather than through a RegExp, so a pattern like `*a*a*a*b`
 * cannot backtrack exponentially: the loop below is at most O(pattern × text).
 */
export function globMatcher(pattern: string): (text: string) => boolean {
  if (pattern === "*") return () => true;
  if (!pattern.includes("*") && !pattern.includes("?")) return (text) => text === pattern;
  return (text) => globMatches(pattern, text);
}

function globMatches(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      // Let the last star swallow one more character and retry from there.
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p++;
  return p === pattern.length;
}
