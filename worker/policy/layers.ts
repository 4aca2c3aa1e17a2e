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
  const whole = serverRefusal(snapshot, clientName, item.serverId);
  if (whole) return whole;
  const label = `${item.kind} "${item.name}" of server "${item.serverId}"`;
  const server = snapshot.servers[item.serverId]!;
  if (server.capabilities[item.kind][item.name]?.enabled === false) return { layer: "server", reason: `${label} is disabled by an admin` };
  if (snapshot.user.id === null) return null;
  if (item.kind === "tool" && server.grant?.tools[item.name] === false) return { layer: "grant", reason: `${label} is not granted to you; ask an admin` };
  for (const client of clientsOf(clientName)) {
    if (snapshot.narrowings[client]?.[item.serverId]?.[NARROWING_KEY[item.kind]]?.[item.name] === false) {
      return { layer: "user", reason: `you turned off ${label}${forClient(client)}` };
    }
  }
  return null;
}

/**
 * The layers for a server as a whole, for what belongs to no single item (a task's follow-ups): the
 * server enabled, granted (or public) to an active user, and not turned off by them.
 */
export function serverRefusal(snapshot: PolicySnapshot, clientName: string, serverId: string): LayerRefusal | null {
  const server = snapshot.servers[serverId];
  if (!server) return { layer: "server", reason: `server "${serverId}" is not available` };
  if (!server.enabled) return { layer: "server", reason: `server "${serverId}" is disabled by an admin` };
  if (snapshot.user.id === null) return null;
  if (snapshot.user.status !== "active") return { layer: "grant", reason: "your account is disabled" };
  if (!isGranted(snapshot, serverId)) return { layer: "grant", reason: `you have no grant for server "${serverId}"; ask an admin` };
  for (const client of clientsOf(clientName)) {
    if (snapshot.narrowings[client]?.[serverId]?.enabled === false) return { layer: "user", reason: `you turned off server "${serverId}"${forClient(client)}` };
  }
  return null;
}

/**
 * Whether the caller may know of the server at all: the owner key always, a user through their grant,
 * their role's, or the server's publicAccess. To anyone else a private server is one that does not exist.
 */
export function isGranted(snapshot: PolicySnapshot, serverId: string): boolean {
  const server = snapshot.servers[serverId];
  if (!server) return false;
  if (snapshot.user.id === null) return true;
  return server.grant ? server.grant.enabled : server.publicAccess;
}

const clientsOf = (clientName: string) => (clientName === "" ? [""] : ["", clientName]);
const forClient = (client: string) => (client === "" ? "" : ` for client "${client}"`);
