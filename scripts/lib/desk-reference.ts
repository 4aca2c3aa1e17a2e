import { z } from "zod";
import { approvalView } from "../../worker/approvals/types.ts";
import { ticketRequest } from "../../worker/desk/ticket-request.ts";
import { DESK_PROTOCOL_VERSION, deskClientMessage, deskServerMessage, MAX_CLIENT_FRAME_BYTES } from "../../worker/desk/messages.ts";
import { fieldRows, type JsonSchema } from "./reference-doc.ts";

export const DESK_MARKERS = {
  begin: "<!-- BEGIN GENERATED DESK MESSAGES: run `npm run docs:reference` to update -->",
  end: "<!-- END GENERATED DESK MESSAGES -->",
  name: "generated-Desk-messages",
};

const toJson = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
const withoutDescription = ({ description: _, $schema: __, ...rest }: JsonSchema & { $schema?: string }) => JSON.stringify(rest);
const APPROVAL = withoutDescription(toJson(approvalView));

/** Every approval in a message is the one ApprovalView, shown once instead of in full in each message. */
function collapseApprovals(schema: JsonSchema): JsonSchema {
  if (withoutDescription(schema) === APPROVAL) return { type: "ApprovalView", ...(schema.description ? { description: schema.description } : {}) };
  return {
    ...schema,
    ...(schema.items ? { items: collapseApprovals(schema.items) } : {}),
    ...(schema.properties ? { properties: Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, collapseApprovals(value)])) } : {}),
  };
}

function table(schema: JsonSchema): string {
  const rows = fieldRows(schema, "");
  return rows.length > 0 ? ["| field | type | required | notes |", "|---|---|---|---|", ...rows].join("\n") : "No fields besides `type`.";
}

function messages(options: readonly z.ZodObject[]): string {
  return options
    .map((option) => {
      const json = collapseApprovals(toJson(option));
      const type = json.properties!.type!;
      const { type: _, ...properties } = json.properties!;
      const fields = { ...json, properties, required: json.required?.filter((field) => field !== "type") ?? [] };
      return `#### \`${(type as { const?: string }).const}\`\n\n${type.description?.replace(/\.?$/, ".")}\n\n${table(fields)}`;
    })
    .join("\n\n");
}

/** The generated Desk block of docs/reference.md: the ticket request and every message of the current protocol version. */
export function renderDeskBlock(): string {
  return [
    `Protocol version ${DESK_PROTOCOL_VERSION} (\`worker/desk/messages.ts\`). Client frames larger than ${MAX_CLIENT_FRAME_BYTES} bytes are refused.`,
    `### \`POST /desk/ticket\` body (optional)\n\n${table(toJson(ticketRequest))}`,
    `### ApprovalView\n\nEvery \`approval\` below (and each item of \`approvals\`) has these fields.\n\n${table(toJson(approvalView))}`,
    `### From the server\n\n${messages(deskServerMessage.options)}`,
    `### From the client\n\n${messages(deskClientMessage.options)}`,
  ].join("\n\n");
}
