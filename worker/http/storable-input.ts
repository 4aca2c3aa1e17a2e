import { isStorableText } from "../db/storable.ts";

/** Deeper than this is no real input, and deep enough to overflow a recursive validator's stack. */
const MAX_INPUT_DEPTH = 32;

/**
 * Why parsed JSON input cannot be stored as it is, naming where (`path`); null if it can. Text Postgres
 * refuses is the client's error (400), not a failed query (500), and is checked before any schema runs.
 */
export function unstorableInput(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === "string") return isStorableText(value) ? null : `${path}: contains a NUL character or half of a surrogate pair`;
  if (value === null || typeof value !== "object") return null;
  if (depth >= MAX_INPUT_DEPTH) return `${path}: nested deeper than ${MAX_INPUT_DEPTH} levels`;
  for (const [key, inner] of Object.entries(value)) {
    const at = `${path}.${key}`;
    if (!isStorableText(key)) return `${path}: a key contains a NUL character or half of a surrogate pair`;
    const problem = unstorableInput(inner, at, depth + 1);
    if (problem) return problem;
  }
  return null;
}
