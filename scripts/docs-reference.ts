// `npm run docs:reference`: regenerates the action tables of docs/reference.md from the zod schemas.
import { readFileSync, writeFileSync } from "node:fs";
import { renderReferenceBlock, spliceGenerated } from "./lib/reference-doc.ts";

const path = new URL("../docs/reference.md", import.meta.url);
writeFileSync(path, spliceGenerated(readFileSync(path, "utf8"), renderReferenceBlock()));
console.log("docs/reference.md updated");
