// docs/reference.md cannot drift from the zod schemas: its generated block must be exactly what
// `npm run docs:reference` would write now. Rendered in memory; the file is never written.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DOCUMENTED_ENDPOINTS, renderReferenceBlock, spliceGenerated } from "../../scripts/lib/reference-doc.ts";
import { REPO_ROOT } from "../support/dev-project.ts";

const BEGIN_PREFIX = "<!-- BEGIN GENERATED ACTIONS";
const END = "<!-- END GENERATED ACTIONS -->";

const referencePath = join(REPO_ROOT, "docs", "reference.md");
const STALE = "docs/reference.md is out of date with the action schemas: run `npm run docs:reference` and commit the result";

function generatedBlock(document: string): string {
  const start = document.indexOf(BEGIN_PREFIX);
  const end = document.indexOf(END);
  if (start === -1 || end === -1 || end < start) throw new Error("docs/reference.md lacks the generated-actions markers");
  return document.slice(document.indexOf("\n", start) + 1, end).trim();
}

describe("docs/reference.md", () => {
  const document = readFileSync(referencePath, "utf8");

  it("has exactly one generated block", () => {
    expect(document.split(BEGIN_PREFIX)).toHaveLength(2);
    expect(document.split(END)).toHaveLength(2);
  });

  it("has a generated block equal to what renderActions produces from the current schemas", () => {
    const rendered = renderReferenceBlock();
    // Block first, for a readable diff; then the whole file, as the generator would splice it.
    expect(generatedBlock(document), STALE).toBe(rendered);
    expect(spliceGenerated(document, rendered), STALE).toBe(document);
  });

  // Codes are per endpoint (/admin 2003 and /user 2003 are different actions), so each section is checked alone.
  it("documents every action code exactly once per endpoint", () => {
    const block = generatedBlock(document);
    const sections = block.split(/^## /m).filter(Boolean);
    expect(sections).toHaveLength(DOCUMENTED_ENDPOINTS.length);
    DOCUMENTED_ENDPOINTS.forEach(({ title, actions }, index) => {
      const section = sections[index]!;
      expect(section.startsWith(title)).toBe(true);
      for (const action of actions) {
        const headings = section.split("\n").filter((line) => line.startsWith(`### ${action.code} `));
        expect(headings, `action ${action.code}`).toEqual([`### ${action.code} ${action.name}`]);
      }
      const documentedCodes = [...section.matchAll(/^### (\d+) /gm)].map((match) => Number(match[1]));
      expect(documentedCodes).toEqual(actions.map((action) => action.code));
    });
  });
});
