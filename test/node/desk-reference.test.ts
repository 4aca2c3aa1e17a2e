// The Desk messages in docs/reference.md cannot drift from worker/desk/messages.ts: the generated block
// must be what `npm run docs:reference` would write now, and it must name every message type.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DESK_MARKERS, renderDeskBlock } from "../../scripts/lib/desk-reference.ts";
import { spliceGenerated } from "../../scripts/lib/reference-doc.ts";
import { deskClientMessage, deskServerMessage } from "../../worker/desk/messages.ts";
import { REPO_ROOT } from "../support/dev-project.ts";

const document = readFileSync(join(REPO_ROOT, "docs", "reference.md"), "utf8");

describe("docs/reference.md, Desk messages", () => {
  it("has the generated block that the current schemas render", () => {
    expect(spliceGenerated(document, renderDeskBlock(), DESK_MARKERS), "run `npm run docs:reference` and commit the result").toBe(document);
  });

  it("documents every message type of both directions", () => {
    for (const option of [...deskServerMessage.options, ...deskClientMessage.options]) expect(document).toContain(`#### \`${option.shape.type.value}\``);
  });
});
