import type { ServerCatalogData } from "../db/schema.ts";
import { exposedName, exposedUri } from "./names.ts";
import { JSONRPC_ERRORS, RpcFailure } from "./protocol.ts";

export interface CatalogEntry {
  serverId: string;
  catalog: ServerCatalogData;
}

type Item = Record<string, unknown>;

/**
 * How one session presents its servers: the aggregated endpoint renames (`<serverId>__<name>`,
 * `peta://<serverId>/<uri>`); the single-server endpoint passes names through untouched.
 */
export interface View {
  /** The one server of `/mcp/<serverId>`, or null for the aggregated `/mcp`. */
  scope: string | null;
}

export function listTools(view: View, entries: CatalogEntry[]): Item[] {
  return entries.flatMap(({ serverId, catalog }) => catalog.tools.map((tool) => renamed(view, serverId, tool)));
}

export function listPrompts(view: View, entries: CatalogEntry[]): Item[] {
  return entries.flatMap(({ serverId, catalog }) => catalog.prompts.map((prompt) => renamed(view, serverId, prompt)));
}

export function listResources(view: View, entries: CatalogEntry[]): Item[] {
  return entries.flatMap(({ serverId, catalog }) =>
    catalog.resources.map((resource) => (view.scope ? resource : { ...resource, uri: exposedUri(serverId, String(resource.uri)) })),
  );
}

export function listResourceTemplates(view: View, entries: CatalogEntry[]): Item[] {
  return entries.flatMap(({ serverId, catalog }) =>
    catalog.resourceTemplates.map((template) =>
      view.scope ? template : { ...template, uriTemplate: exposedUri(serverId, String(template.uriTemplate)) },
    ),
  );
}

function renamed(view: View, serverId: string, item: Item): Item {
  if (view.scope) return item;
  const name = exposedName(serverId, String(item.name));
  // The display title keeps the original name readable when the exposed one had to be shortened.
  return { ...item, name, ...(item.title === undefined && name !== `${serverId}__${item.name}` ? { title: item.name } : {}) };
}

/**
 * Offset cursors over the merged list. They are opaque to clients; a cursor that does not parse is an
 * Invalid Params error, as the spec asks.
 */
export function paginate(items: Item[], cursor: unknown, pageSize: number): { page: Item[]; nextCursor?: string } {
  let offset = 0;
  if (cursor !== undefined) {
    const match = typeof cursor === "string" ? /^o(\d+)$/.exec(cursor) : null;
    if (!match) throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, "Invalid cursor");
    offset = Number(match[1]);
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  return next < items.length ? { page, nextCursor: `o${next}` } : { page };
}
