import { AppError } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a JSON body without trusting Content-Length: the stream is counted as it arrives, so a lying
 * or chunked client cannot make us buffer more than the limit. `maxDepth` refuses deeper nesting before parsing, for bodies whose values are walked recursively
 * later (an MCP message is scrubbed, validated and sent over RPC); the admin API checks depth itself,
 * naming the field.
 */
export async function readJsonBody(request: Request, options: JsonBodyOptions = {}): Promise<unknown> {
  return (await readMeasuredJsonBody(request, options)).value;
}

interface JsonBodyOptions {
  maxBytes?: number;
  maxDepth?: number;
}

/** readJsonBody, with the body's size in bytes as it arrived (what a per-user byte budget counts). */
export async function readMeasuredJsonBody(request: Request, { maxBytes = MAX_BODY_BYTES, maxDepth = Number.POSITIVE_INFINITY }: JsonBodyOptions = {}): Promise<{ value: unknown; bytes: number }> {
  const { text, bytes } = await readBody(request, maxBytes);
  if (text.trim() === "") throw new AppError("INVALID_JSON", "Request body is empty; expected JSON");
  if (maxDepth !== Number.POSITIVE_INFINITY && nestingExceeds(text, maxDepth)) throw new AppError("VALIDATION_FAILED", `Request body is nested deeper than ${maxDepth} levels`);
  try {
    return { value: JSON.parse(text), bytes };
  } catch {
    throw new AppError("INVALID_JSON", "Request body is not valid JSON");
  }
}

/** A request or response body as text, counted as it streams in; an absent body is the empty string. */
export async function readBodyText(request: Pick<Request, "headers" | "body">, maxBytes = MAX_BODY_BYTES): Promise<string> {
  return (await readBody(request, maxBytes)).text;
}

async function readBody(request: Pick<Request, "headers" | "body">, maxBytes: number): Promise<{ text: string; bytes: number }> {
  // A declared size over the limit is refused before a byte of the body is read.
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return { text: "", bytes: 0 };

  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }

  return { text: new TextDecoder().decode(concat(chunks, total)), bytes: total };
}

/**
 * Counts brackets outside strings, without parsing: the check itself must not recurse, and it runs
 * before anything else (a validator, a scrubber, an RPC's serialiser) walks the value.
 */
function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `Body exceeds ${maxBytes} bytes`);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
