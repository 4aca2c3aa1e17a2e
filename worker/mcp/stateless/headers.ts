import type { JsonRpcRequest } from "../protocol.ts";

/** The methods whose `Mcp-Name` header mirrors a body field (SEP-2243, and SEP-2663 for tasks). */
const NAME_SOURCE: Record<string, "name" | "uri" | "taskId"> = {
  "tools/call": "name",
  "prompts/get": "name",
  "resources/read": "uri",
  "tasks/get": "taskId",
  "tasks/update": "taskId",
  "tasks/cancel": "taskId",
};

const BASE64_PREFIX = "=?base64?";
const BASE64_SUFFIX = "?=";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * What is wrong with a 2026 request's standard headers, or null: `MCP-Protocol-Version` and
 * `Mcp-Method` must be present (their agreement with the body the era check has seen to), and
 * `Mcp-Name` must name what the body names, decoded from its `=?base64?…?=` form when it has one.
 * Intermediaries route on these headers, so a request whose headers say one thing and body another is refused.
 */
export function standardHeaderMismatch(headers: Headers, request: JsonRpcRequest): string | null {
  if (!headers.has("mcp-protocol-version")) return "the required MCP-Protocol-Version header is absent";
  if (!headers.has("mcp-method")) return `the body names method ${request.method} but the required Mcp-Method header is absent`;
  const field = Object.hasOwn(NAME_SOURCE, request.method) ? NAME_SOURCE[request.method] : undefined;
  if (!field) return null;
  const bodyValue = request.params?.[field];
  if (typeof bodyValue !== "string") return null;
  const header = headers.get("mcp-name");
  if (header === null) return `the body carries params.${field}="${bodyValue}" but the required Mcp-Name header is absent`;
  const decoded = decodeHeaderValue(header.trim());
  if (decoded === undefined) return "the Mcp-Name header carries an invalid Base64 value";
  return decoded === bodyValue ? null : `the body carries params.${field}="${bodyValue}" but the Mcp-Name header names "${decoded}"`;
}

/** A header value as sent, or the UTF-8 text inside its `=?base64?…?=` sentinel; undefined when that does not decode. */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith(BASE64_PREFIX) && value.endsWith(BASE64_SUFFIX))) return value;
  const encoded = value.slice(BASE64_PREFIX.length, value.length - BASE64_SUFFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0)));
  } catch {
    return undefined;
  }
}
