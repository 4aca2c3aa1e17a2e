import type { ClientCapabilities } from "@modelcontextprotocol/sdk/types.js";

/** What a server may ask of a client, and the parts of each capability a server reads (2025-11-25). */
const ASKABLE = { elicitation: ["form", "url"], sampling: ["context", "tools"], roots: ["listChanged"] } as const;

/**
 * The capabilities a downstream connection declares for a client: those of its own that a server may
 * ask for (elicitation, sampling, roots), with the parts a server reads, so the server asks only what
 * the client can answer. `key` names the set: the same declaration always gives the same key, and
 * there are few such sets, whatever a client puts in its capabilities.
 */
export function askableCapabilities(declared: ClientCapabilities): { key: string; capabilities: ClientCapabilities } {
  const capabilities: Record<string, Record<string, unknown>> = {};
  for (const [name, parts] of Object.entries(ASKABLE)) {
    const value = (declared as Record<string, unknown>)[name];
    if (!value || typeof value !== "object") continue;
    capabilities[name] = Object.fromEntries(parts.filter((part) => part in value).map((part) => [part, part === "listChanged" ? Boolean((value as Record<string, unknown>)[part]) : {}]));
  }
  return { key: JSON.stringify(capabilities), capabilities: capabilities as ClientCapabilities };
}
