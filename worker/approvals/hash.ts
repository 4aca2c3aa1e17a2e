import { canonicalJson } from "../audit/record.ts";
import { sha256Hex } from "../auth/crypto.ts";

/** The hash that names a call's exact arguments: key order does not change it, any value does. */
export function argumentsHash(args: unknown): Promise<string> {
  return sha256Hex(canonicalJson(args ?? {}));
}
