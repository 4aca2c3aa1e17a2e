// `npm run docs:reference`: regenerates the action tables of docs/reference.md from the zod schemas.
import { readFileSync, writeFileSync } from "node:fs";
import { adminActions } from "../worker/admin/registry.ts";
import { selfServiceActions } from "../worker/user/actions.ts";
import { renderActions, spliceGenerated } from "./lib/reference-doc.ts";

const path = new URL("../docs/reference.md", import.meta.url);
const generated = [
  renderActions("Admin actions (`POST /admin`)", adminActions),
  renderActions("Self-service actions (`POST /user`)", selfServiceActions),
].join("\n\n");
const updated = spliceGenerated(readFileSync(path, "utf8"), generated);
writeFileSync(path, updated);
console.log("docs/reference.md updated");
