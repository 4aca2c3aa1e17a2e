import { AppError } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Reads a JSON body without trusting Content-Length: the stream is counted as it arrives, so a lying
 * or chunked client cannot make us buffer more than the limit.
 */
export async function readJsonBody(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) throw new AppError("INVALID_JSON", "Request body is empty; expected JSON");

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

  const text = new TextDecoder().decode(concat(chunks, total));
  if (text.trim() === "") throw new AppError("INVALID_JSON", "Request body is empty; expected JSON");
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError("INVALID_JSON", "Request body is not valid JSON");
  }
}

function tooLarge(maxBytes: number): AppError {
  return new AppError("PAYLOAD_TOO_LARGE", `Request body exceeds ${maxBytes} bytes`);
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
