import type { Redactor } from "../vault/redactor.ts";

/** Keys whose values are credentials by their name alone, wherever they appear in arguments. */
const SENSITIVE_KEY = /token|password|passwd|pwd|secret|authorization|cookie|api[-_]?key|private[-_]?key|credential|^pass$|^auth$|^values?$/i;
export const MASK = "[MASKED]";
/** Arguments larger than this are stored as a truncated preview: the audit trail is not a data lake. */
export const MAX_ARGUMENT_BYTES = 8192;

/**
 * What the audit trail keeps of a request's arguments: injected secret values scrubbed, values under
 * credential-like keys masked, and the whole capped in size.
 */
export function auditArguments(value: unknown, redactor?: Redactor): unknown {
  if (value === undefined) return null;
  const masked = mask(redactor ? redactor.scrub(value) : value);
  const encoded = new TextEncoder().encode(JSON.stringify(masked));
  if (encoded.length <= MAX_ARGUMENT_BYTES) return masked;
  // Cut on bytes; a character split at the cut becomes U+FFFD rather than half a character.
  return { truncated: true, bytes: encoded.length, preview: new TextDecoder().decode(encoded.subarray(0, MAX_ARGUMENT_BYTES)) };
}

function mask(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(mask);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, SENSITIVE_KEY.test(key) ? MASK : mask(inner)]),
  );
}
