import { z } from "zod";
import type { ServerRow } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import type { KeyRing } from "./keyring.ts";
import { HEADER_VALUE_RULE, isHeaderSafe } from "./header-value.ts";
import { namesInHeaders, type PlaceholderKind } from "./placeholders.ts";
import { openServerConfig } from "./server-config.ts";

/**
 * The longest secret or user value accepted. Real tokens, keys and passwords fit many times over;
 * each value is scrubbed from replies in about twenty forms, so an unbounded one only costs memory.
 */
export const MAX_VALUE_LENGTH = 4096;

/** A secret or user value as the admin and user APIs take it. */
export function vaultValue(description: string) {
  return z
    .string()
    .min(1)
    .max(MAX_VALUE_LENGTH)
    .describe(`${description}. At most ${MAX_VALUE_LENGTH} characters; one that a header of the server refers to must be valid in a header (no CR, LF or other control characters)`);
}

/**
 * Refuses, with a 400 naming the field, values that one of the server's headers refers to and that
 * cannot go in a header. `field` names a value's place in the request (`data.values.TOKEN`); a value in
 * the URL only is percent-encoded there and may hold anything.
 */
export async function assertHeaderSafeValues(
  ring: KeyRing,
  server: ServerRow,
  kind: PlaceholderKind,
  values: Record<string, string>,
  field: (name: string) => string,
): Promise<void> {
  const inHeaders = namesInHeaders((await openServerConfig(ring, server)).headers, kind);
  const unsafe = Object.entries(values).filter(([name, value]) => inHeaders.has(name) && !isHeaderSafe(value));
  if (unsafe.length === 0) return;
  const details = unsafe.map(([name]) => `${field(name)}: ${HEADER_VALUE_RULE}`);
  throw new AppError("VALIDATION_FAILED", `Invalid input: ${details.join("; ")}`);
}
