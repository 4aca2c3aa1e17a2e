import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import {
  type ClientCapabilities,
  ListPromptsResultSchema,
  ListResourcesResultSchema,
  ListResourceTemplatesResultSchema,
  ListToolsResultSchema,
} from "@modelcontextprotocol/sdk/types.js";
import { and, eq, isNull, or } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { type ServerCatalogData, type ServerRow, serverCatalogs } from "../db/schema.ts";

export type CatalogList = "tools" | "prompts" | "resources" | "resourceTemplates";

interface ListSpec {
  method: string;
  capability: "tools" | "prompts" | "resources";
  schema:
    | typeof ListToolsResultSchema
    | typeof ListPromptsResultSchema
    | typeof ListResourcesResultSchema
    | typeof ListResourceTemplatesResultSchema;
  key: string;
}

const LISTS: Record<CatalogList, ListSpec> = {
  tools: { method: "tools/list", capability: "tools", schema: ListToolsResultSchema, key: "tools" },
  prompts: { method: "prompts/list", capability: "prompts", schema: ListPromptsResultSchema, key: "prompts" },
  resources: { method: "resources/list", capability: "resources", schema: ListResourcesResultSchema, key: "resources" },
  resourceTemplates: {
    method: "resources/templates/list",
    capability: "resources",
    schema: ListResourceTemplatesResultSchema,
    key: "resourceTemplates",
  },
};

/** Safety valve against a server whose cursors never end. */
const MAX_PAGES = 100;

/** Fetches one list in full, following the server's cursors. */
export async function fetchList(client: Client, list: CatalogList, timeoutMs: number): Promise<Record<string, unknown>[]> {
  const spec = LISTS[list];
  if (!client.getServerCapabilities()?.[spec.capability]) return [];
  const items: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = (await client.request(
      { method: spec.method, params: cursor ? { cursor } : {} },
      spec.schema,
      { timeout: timeoutMs },
    )) as Record<string, unknown> & { nextCursor?: string };
    items.push(...((result[spec.key] as Record<string, unknown>[] | undefined) ?? []));
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return items;
}

export async function fetchCatalog(client: Client, timeoutMs: number): Promise<ServerCatalogData> {
  const [tools, prompts, resources, resourceTemplates] = await Promise.all([
    fetchList(client, "tools", timeoutMs),
    fetchList(client, "prompts", timeoutMs),
    fetchList(client, "resources", timeoutMs),
    fetchList(client, "resourceTemplates", timeoutMs),
  ]);
  const instructions = client.getInstructions();
  return {
    serverInfo: { ...client.getServerVersion() },
    ...(instructions ? { instructions } : {}),
    capabilities: (client.getServerCapabilities() ?? {}) as Record<string, unknown>,
    tools,
    prompts,
    resources,
    resourceTemplates,
  };
}

export interface StoredCatalog {
  catalog: ServerCatalogData;
  fetchedAt: Date;
}

/**
 * Whose view of a server a catalog is. A server reached with each user's own values (it declares
 * `userInputs`) may show each user different tools and resources, so its catalog is that user's own;
 * any other server's is shared by everyone (`userId` null). A server may also offer some tools only to
 * clients that declare roots, sampling or elicitation, which the gateway declares only when the
 * upstream client does: `clientCapabilities` names those declared.
 */
export interface CatalogView {
  userId: string | null;
  clientCapabilities: string;
}

export function catalogView(server: Pick<ServerRow, "userInputs">, userId: string | null, declared: ClientCapabilities): CatalogView {
  return {
    userId: server.userInputs.length > 0 ? userId : null,
    clientCapabilities: Object.keys(declared).sort().join(","),
  };
}

function isView(view: CatalogView) {
  return and(
    view.userId === null ? isNull(serverCatalogs.userId) : eq(serverCatalogs.userId, view.userId),
    eq(serverCatalogs.clientCapabilities, view.clientCapabilities),
  );
}

/** The cached catalogs, in Postgres so every session and every isolate sees one copy per view. */
export async function loadCatalogs(db: Database, wanted: { serverId: string; view: CatalogView }[]): Promise<Map<string, StoredCatalog>> {
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select()
    .from(serverCatalogs)
    .where(or(...wanted.map(({ serverId, view }) => and(eq(serverCatalogs.serverId, serverId), isView(view)))));
  return new Map(rows.map((row) => [row.serverId, { catalog: row.catalog, fetchedAt: row.fetchedAt }]));
}

export async function saveCatalog(db: Database, serverId: string, view: CatalogView, catalog: ServerCatalogData): Promise<void> {
  await db
    .insert(serverCatalogs)
    // The Worker's clock, on insert and update alike: freshness is judged against it (`#isFresh`).
    .values({ serverId, ...view, catalog, fetchedAt: new Date() })
    .onConflictDoUpdate({
      target: [serverCatalogs.serverId, serverCatalogs.userId, serverCatalogs.clientCapabilities],
      set: { catalog, fetchedAt: new Date() },
    });
}

/**
 * Drops cached catalogs that a change may have made wrong: every view of a server (its settings or
 * secrets changed), or one user's view (that user's values changed).
 */
export async function forgetCatalogs(db: Database, serverId: string, userId?: string): Promise<void> {
  await db
    .delete(serverCatalogs)
    .where(and(eq(serverCatalogs.serverId, serverId), userId === undefined ? undefined : eq(serverCatalogs.userId, userId)));
}
