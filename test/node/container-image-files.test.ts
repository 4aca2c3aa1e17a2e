// The stdio bridge image is built with the repository as its context (containers/Dockerfile), copying
// only named files. There is no Docker here to build it, so this keeps the list honest instead: every
// file the bridge imports, followed transitively, must be both let through .dockerignore and copied.
import { readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/dev-project.ts";

function importedFiles(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = readFileSync(entry, "utf8");
  for (const [, specifier] of source.matchAll(/^(?:import|export)\s[^;]*?from\s+"(\.{1,2}\/[^"]+)"/gms)) {
    importedFiles(join(dirname(entry), specifier!), seen);
  }
  return seen;
}

describe("the stdio bridge image", () => {
  const dockerfile = readFileSync(join(REPO_ROOT, "containers", "Dockerfile"), "utf8");
  const dockerignore = readFileSync(join(REPO_ROOT, ".dockerignore"), "utf8").split("\n").map((line) => line.trim());
  const needed = [...importedFiles(join(REPO_ROOT, "containers", "bridge", "main.ts"))]
    .map((file) => relative(REPO_ROOT, file))
    .filter((file) => !file.startsWith("containers/"));

  it("imports files outside containers/ (the scrubber), so the check below has something to check", () => {
    expect(needed).toContain("worker/vault/redactor.ts");
  });

  it.each(needed)("lets %s into the build context and copies it", (file) => {
    expect(dockerignore, ".dockerignore").toContain(`!${file}`);
    expect(dockerfile.split("\n").some((line) => line.startsWith("COPY ") && line.includes(file)), "a COPY line of the Dockerfile").toBe(true);
  });
});
