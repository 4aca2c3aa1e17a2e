// `npm run docs:reference`: regenerates the action tables and the Desk messages of docs/reference.md from the zod schemas.
import { readFileSync, writeFileSync } from "node:fs";
import { DESK_MARKERS, renderDeskBlock } from "./lib/desk-reference.ts";
import { renderReferenceBlock, spliceGenerated } from "./lib/reference-doc.ts";

const path = new URL("../docs/reference.md", import.meta.url);
const withActions = spliceGenerated(readFileSync(path, "utf8"), renderReferenceBlock());
writeFileSync(path, spliceGenerated(withActions, renderDeskBlock(), DESK_MARKERS));
console.log("docs/reference.md updated");
