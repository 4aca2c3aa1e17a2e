import { z } from "zod";
import type { Action } from "../../worker/admin/action.ts";
import { adminActions } from "../../worker/admin/registry.ts";
import { selfServiceActions } from "../../worker/user/actions.ts";

/** Every documented endpoint's actions, in the order the reference shows them. */
export const DOCUMENTED_ENDPOINTS: { title: string; actions: readonly Action[] }[] = [
  { title: "Admin actions (`POST /admin`)", actions: adminActions },
  { title: "Self-service actions (`POST /user`)", actions: selfServiceActions },
];

/** The generated block of docs/reference.md, as `npm run docs:reference` writes it. */
export function renderReferenceBlock(): string {
  return DOCUMENTED_ENDPOINTS.map(({ title, actions }) => renderActions(title, actions)).join("\n\n");
}

const BEGIN = "<!-- BEGIN GENERATED ACTIONS: run `npm run docs:reference` to update -->";
const END = "<!-- END GENERATED ACTIONS -->";

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  description?: string;
  default?: unknown;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
}

/** Renders each action's zod schema as a table, so the reference cannot drift from the code. */
export function renderActions(title: string, actions: readonly Action[]): string {
  const sections = actions.map((action) => {
    const schema = z.toJSONSchema(action.input, { io: "input", unrepresentable: "any" }) as JsonSchema;
    const rows = fieldRows(schema, "");
    const table =
      rows.length > 0 ? ["| field | type | required | notes |", "|---|---|---|---|", ...rows].join("\n") : "No fields.";
    return `### ${action.code} ${action.name}\n\n${action.summary}\n\n${table}\n\nReturns: ${action.returns}`;
  });
  return `## ${title}\n\n${sections.join("\n\n")}`;
}

/** One row per field; an object field with fields of its own (such as `stdio`) is followed by a row for each, as `stdio.command`. */
export function fieldRows(schema: JsonSchema, prefix: string): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([field, prop]) => {
    const required = schema.required?.includes(field) && prop.default === undefined ? "yes" : "no";
    const notes = [prop.description?.replace(/\.?$/, ".") ?? "", prop.default !== undefined ? `Default: \`${JSON.stringify(prop.default)}\`.` : ""]
      .filter(Boolean)
      .join(" ");
    const row = `| \`${prefix}${field}\` | ${typeName(prop)} | ${required} | ${notes.replaceAll("|", "\\|")} |`;
    return [row, ...fieldRows(prop, `${prefix}${field}.`)];
  });
}

function typeName(schema: JsonSchema): string {
  if (schema.enum) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(" \\| ");
  if (schema.anyOf) return schema.anyOf.map(typeName).join(" \\| ");
  const base = Array.isArray(schema.type) ? schema.type.join(" \\| ") : (schema.type ?? "any");
  if (base === "array" && schema.items) return `array of ${typeName(schema.items)}`;
  if (schema.format) return `${base} (${schema.format})`;
  if (schema.pattern) return `${base} matching \`${schema.pattern}\``;
  return base;
}

/** Replaces the generated block of `document` (between `markers`, by default the actions' ones) with `generated`. */
export function spliceGenerated(document: string, generated: string, markers = { begin: BEGIN, end: END, name: "generated-actions" }): string {
  const start = document.indexOf(markers.begin);
  const end = document.indexOf(markers.end);
  if (start === -1 || end === -1) throw new Error(`docs/reference.md lacks the ${markers.name} markers`);
  return `${document.slice(0, start + markers.begin.length)}\n\n${generated}\n\n${document.slice(end)}`;
}
