import { and, asc, eq, inArray, isNull, or } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { type CapabilityKind, serverCapabilities, serverCatalogs } from "../db/schema.ts";
import type { CatalogItems } from "./effective.ts";
import type { ItemAnnotations } from "./types.ts";

/**
 * What each server offers as far as the gateway knows: its cached catalogs (the user's own view of a
 * per-user server, else the shared one; every client-capability variant merged), plus any item an
 * admin configured before a catalog was fetched, so a setting is never invisible.
 */
export async function loadCatalogItems(db: Database, filter: { userId: string | null; serverIds: string[] }): Promise<CatalogItems[]> {
  if (filter.serverIds.length === 0) return [];
  const [catalogs, settings] = await Promise.all([
    db
      .select({ serverId: serverCatalogs.serverId, catalog: serverCatalogs.catalog })
      .from(serverCatalogs)
      .where(
        and(
          inArray(serverCatalogs.serverId, filter.serverIds),
          filter.userId === null ? isNull(serverCatalogs.userId) : or(isNull(serverCatalogs.userId), eq(serverCatalogs.userId, filter.userId)),
        ),
      ),
    db
      .select({ serverId: serverCapabilities.serverId, kind: serverCapabilities.kind, name: serverCapabilities.name })
      .from(serverCapabilities)
      .where(inArray(serverCapabilities.serverId, filter.serverIds))
      .orderBy(asc(serverCapabilities.name)),
  ]);
  const byServer = new Map(filter.serverIds.map((id) => [id, { tool: new Map<string, ItemAnnotations | undefined>(), prompt: new Set<string>(), resource: new Set<string>() }]));
  const described = new Map<string, ItemText>();
  for (const { serverId, catalog } of catalogs) {
    const items = byServer.get(serverId)!;
    for (const tool of catalog.tools) {
      if (typeof tool.name !== "string") continue;
      items.tool.set(tool.name, annotationsOf(tool.annotations));
      described.set(`${serverId}\u0000${tool.name}`, textOf(tool));
    }
    for (const prompt of catalog.prompts) if (typeof prompt.name === "string") items.prompt.add(prompt.name);
    for (const resource of catalog.resources) if (typeof resource.uri === "string") items.resource.add(resource.uri);
  }
  for (const setting of settings) addConfigured(byServer.get(setting.serverId)!, setting.kind, setting.name);
  return [...byServer].map(([serverId, items]) => ({
    serverId,
    tools: [...items.tool].map(([name, annotations]) => ({ name, annotations, ...described.get(`${serverId}\u0000${name}`) })),
    prompts: [...items.prompt].map((name) => ({ name })),
    resources: [...items.resource].map((uri) => ({ uri })),
  }));
}

function addConfigured(items: { tool: Map<string, ItemAnnotations | undefined>; prompt: Set<string>; resource: Set<string> }, kind: CapabilityKind, name: string): void {
  if (kind === "tool") {
    if (!items.tool.has(name)) items.tool.set(name, undefined);
  } else {
    items[kind].add(name);
  }
}

type ItemText = { title?: string; description?: string };

/** What a person reads of a tool: its title (or annotations.title) and description, when the catalog gives them. */
function textOf(tool: { title?: unknown; description?: unknown; annotations?: unknown }): ItemText {
  const annotated = typeof tool.annotations === "object" && tool.annotations !== null ? (tool.annotations as Record<string, unknown>).title : undefined;
  const title = typeof tool.title === "string" ? tool.title : typeof annotated === "string" ? annotated : undefined;
  return { ...(title ? { title } : {}), ...(typeof tool.description === "string" ? { description: tool.description } : {}) };
}

function annotationsOf(value: unknown): ItemAnnotations | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const { destructiveHint } = value as Record<string, unknown>;
  return typeof destructiveHint === "boolean" ? { destructiveHint } : {};
}
