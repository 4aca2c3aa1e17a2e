// `npm run docs:reference`: regenerates the action tables of docs/reference.md from the zod schemas.
import { readFileSync, writeFileSync } from "node:fs";
import { adminActions } from "../worker/admin/registry.ts";
import { renderActions, spliceGenerated } from "./lib/reference-doc.ts";

const path = new URL("../docs/reference.md", import.meta.url);
const updated = spliceGenerated(readFileSync(path, "utf8"), renderActions("Admin actions (`POST /admin`)", adminActions));
writeFileSync(path, updated);
console.log("docs/reference.md updated");
