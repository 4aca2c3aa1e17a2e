import { decodeHeaderValue } from "./stateless/headers.ts";

/** SEP-2243: a tool's input property that asks to be mirrored into an `Mcp-Param-<Name>` header. */
const DECLARATION_KEY = "x-mcp-header";
const BASE64_PREFIX = "=?base64?";
const BASE64_SUFFIX = "?=";
const CANONICAL_DECIMAL = /^-?\d+(\.\d+)?$/;

interface Declaration {
  property: string;
  /** The header's name, lower-cased: `mcp-param-<name>`. */
  header: string;
}

/** The top-level properties of a tool's input schema that declare `x-mcp-header`. */
export function paramHeaderDeclarations(inputSchema: unknown): Declaration[] {
  const properties = (inputSchema as { properties?: Record<string, Record<string, unknown>> } | null)?.properties ?? {};
  return Object.entries(properties).flatMap(([property, schema]) => {
    const name = schema?.[DECLARATION_KEY];
    return typeof name === "string" && /^[A-Za-z0-9-]+$/.test(name) ? [{ property, header: `mcp-param-${name.toLowerCase()}` }] : [];
  });
}

/** A primitive argument as its header text (strings as they are, numbers in decimal, booleans in lower case); undefined for anything else. */
function asText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && Number.isFinite(value) && (!Number.isInteger(value) || Number.isSafeInteger(value))) return String(value);
  return undefined;
}

/** As a header carries it: plain printable ASCII as it is, anything else in the `=?base64?…?=` form. */
export function encodeHeaderValue(value: string): string {
  if (/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !value.startsWith(BASE64_PREFIX)) return value;
  return `${BASE64_PREFIX}${btoa(String.fromCharCode(...new TextEncoder().encode(value)))}${BASE64_SUFFIX}`;
}

/** The `Mcp-Param-*` headers a call of this tool with these arguments carries (a 2026 client's side). */
export function paramHeadersFor(inputSchema: unknown, args: unknown): Record<string, string> {
  const values = (args ?? {}) as Record<string, unknown>;
  const headers: Record<string, string> = {};
  for (const { property, header } of paramHeaderDeclarations(inputSchema)) {
    const text = asText(values[property]);
    if (text !== undefined) headers[header] = encodeHeaderValue(text);
  }
  return headers;
}

/**
 * What is wrong with a call's `Mcp-Param-*` headers against the tool's declarations and the body's
 * arguments, or null. Intermediaries route on these headers, so one that is missing or says something
 * the body does not is refused (-32020), as the standard headers are.
 */
export function paramHeaderMismatch(headers: Record<string, string>, inputSchema: unknown, args: unknown): string | null {
  const values = (args ?? {}) as Record<string, unknown>;
  for (const { property, header } of paramHeaderDeclarations(inputSchema)) {
    const body = values[property];
    const sent = headers[header];
    if (body === undefined || body === null) {
      if (sent !== undefined) return `the ${header} header is sent but the body carries no arguments.${property}`;
      continue;
    }
    if (sent === undefined) return `the body carries arguments.${property} but the ${header} header is absent`;
    const decoded = decodeHeaderValue(sent.trim());
    if (decoded === undefined) return `the ${header} header carries an invalid Base64 value`;
    const same = typeof body === "number" && CANONICAL_DECIMAL.test(decoded) ? Number(decoded) === body : decoded === asText(body);
    if (!same) return `the ${header} header says ${JSON.stringify(decoded)} but the body carries arguments.${property}=${JSON.stringify(body)}`;
  }
  return null;
}
