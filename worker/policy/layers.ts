import type { CapabilityKind } from "../db/schema.ts";
import type { DangerLevel, DecisionLayer, ItemRef, PolicySnapshot } from "./types.ts";

export interface LayerRefusal {
  layer: Extract<DecisionLayer, "server" | "grant" | "user">;
  reason: string;
}

const NARROWING_KEY = { tool: "tools", prompt: "prompts", resource: "resources" } as const satisfies Record<CapabilityKind, string>;

/** The admin's danger level for the item, else its annotations' default: a destructive tool notifies. */
export function dangerLevelOf(snapshot: PolicySnapshot, item: ItemRef): DangerLevel {
  const set = snapshot.servers[item.serverId]?.capabilities[item.kind][item.name]?.dangerLevel;
  if (set !== null && set !== undefined) return set;
  return item.kind === "tool" && item.annotations?.destructiveHint === true ? 1 : 0;
}

/**
 * The three capability layers, AND-ed: the first that removes the item says so. The owner key (no user
 * row) is bound only by the server layer: grants and narrowing belong to users, and the owner must be
 * able to reach every enabled item to administer it; rules and danger levels still apply to it.
 */
export function layerRefusal(snapshot: PolicySnapshot, clientName: string, item: ItemRef): LayerRefusal | null {
  const label = `${item.kind} "${item.name}" of server "${item.serverId}"`;
  const server = snapshot.servers[item.serverId];
  if (!server) return { layer: "server", reason: `server "${item.serverId}" is not available` };
  if (!server.enabled) return { layer: "server", reason: `server "${item.serverId}" is disabled by an admin` };
  if (server.capabilities[item.kind][item.name]?.enabled === false) return { layer: "server", reason: `${label} is disabled by an admin` };
  if (snapshot.user.id === null) return null;

  if (snapshot.user.status !== "active") return { layer: "grant", reason: "your account is disabled" };
  const grant = server.grant ?? (server.publicAccess ? { enabled: true, tools: {} } : null);
  if (!grant || !grant.enabled) return { layer: "grant", reason: `you have no grant for server "${item.serverId}"; ask an admin` };
  if (item.kind === "tool" && grant.tools[item.name] === false) return { layer: "grant", reason: `${label} is not granted to you; ask an admin` };

  for (const client of clientName === "" ? [""] : ["", clientName]) {
    const narrowed = snapshot.narrowings[client]?.[item.serverId];
    if (!narrowed) continue;
    const where = client === "" ? "" : ` for client "${client}"`;
    if (narrowed.enabled === false) return { layer: "user", reason: `you turned off server "${item.serverId}"${where}` };
    if (narrowed[NARROWING_KEY[item.kind]]?.[item.name] === false) return { layer: "user", reason: `you turned off ${label}${where}` };
  }
  return null;
}
