/**
 * How downstream names appear on the aggregated endpoint. Tools and prompts become `<serverId>__<name>`,
 * which every LLM tool-name rule accepts (`^[a-zA-Z0-9_-]{1,64}$`); `serverId::name` is accepted on input.
 * A name that would break the rule (too long, or with other characters) is shortened deterministically:
 * a sanitised prefix plus a hash of the original, mapped back through the server's catalog.
 */
export const SERVER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LLM_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_NAME = 64;
const SEPARATOR = "__";
const ALIAS_SEPARATOR = "::";

export function exposedName(serverId: string, name: string): string {
  const plain = `${serverId}${SEPARATOR}${name}`;
  if (LLM_NAME_PATTERN.test(plain)) return plain;
  const suffix = `_${fnv1a(name)}`;
  const room = MAX_NAME - serverId.length - SEPARATOR.length - suffix.length;
  return `${serverId}${SEPARATOR}${name.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, room)}${suffix}`;
}

export interface QualifiedName {
  serverId: string;
  /** The exposed name's part after the separator: the original name, or its shortened form. */
  local: string;
}

/** Splits an aggregated name into its server and local part, or null if it names no server. */
export function parseExposedName(name: string): QualifiedName | null {
  for (const separator of [ALIAS_SEPARATOR, SEPARATOR]) {
    const at = name.indexOf(separator);
    if (at <= 0) continue;
    const serverId = name.slice(0, at);
    const local = name.slice(at + separator.length);
    if (SERVER_ID_PATTERN.test(serverId) && local !== "") return { serverId, local };
  }
  return null;
}

/**
 * A task id on the aggregated endpoint: the server's id, the separator, and the server's own task id,
 * unshortened (no LLM reads it), so parseExposedName splits it back exactly.
 */
export function exposedTaskId(serverId: string, taskId: string): string {
  return `${serverId}${SEPARATOR}${taskId}`;
}

/** Finds the original name among a server's names whose exposed form is `local` (or which is `local`). */
export function resolveLocalName(serverId: string, local: string, originals: Iterable<string>): string | null {
  const exposed = `${serverId}${SEPARATOR}${local}`;
  let aliasMatch: string | null = null;
  for (const original of originals) {
    if (exposedName(serverId, original) === exposed) return original;
    if (original === local) aliasMatch = original;
  }
  return aliasMatch;
}

/**
 * Resource URIs keep their original text behind a prefix naming the server: `peta://<serverId>/<uri>`.
 * The server id cannot contain "/", so the first "/" after it ends it, and the rest is the original URI
 * verbatim: unambiguous even when two servers expose the same URI. Templates are prefixed the same way,
 * so a client's expansion of a template maps back just as a listed URI does.
 */
const RESOURCE_PREFIX = "peta://";

export function exposedUri(serverId: string, uri: string): string {
  return `${RESOURCE_PREFIX}${serverId}/${uri}`;
}

export function parseExposedUri(uri: string): { serverId: string; uri: string } | null {
  if (!uri.startsWith(RESOURCE_PREFIX)) return null;
  const rest = uri.slice(RESOURCE_PREFIX.length);
  const slash = rest.indexOf("/");
  if (slash <= 0) return null;
  const serverId = rest.slice(0, slash);
  const original = rest.slice(slash + 1);
  return SERVER_ID_PATTERN.test(serverId) && original !== "" ? { serverId, uri: original } : null;
}

/** 32-bit FNV-1a as 8 hex digits: stable across isolates and releases, which a shortened name must be. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
