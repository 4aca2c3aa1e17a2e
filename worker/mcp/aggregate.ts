import type { ServerCatalogData } from "../db/schema.ts";
import { exposedName, exposedUri, parseExposedName, parseExposedUri, resolveLocalName } from "./names.ts";
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

export interface Target {
  serverId: string;
  name: string;
}

/** The server and original name behind a tool or prompt name the client used. */
export function resolveName(view: View, kind: "tool" | "prompt", name: string, entries: CatalogEntry[]): Target {
  if (view.scope) return { serverId: view.scope, name };
  const qualified = parseExposedName(name);
  const entry = qualified && entries.find((e) => e.serverId === qualified.serverId);
  if (!qualified || !entry) {
    throw new RpcFailure(
      JSONRPC_ERRORS.INVALID_PARAMS,
      `Unknown ${kind} "${name}": names on this endpoint are <serverId>__<name>, and no enabled server you may use matches`,
    );
  }
  const originals = (kind === "tool" ? entry.catalog.tools : entry.catalog.prompts).map((item) => String(item.name));
  const original = resolveLocalName(qualified.serverId, qualified.local, originals);
  if (original === null) {
    throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Unknown ${kind} "${name}" on server "${qualified.serverId}"`);
  }
  return { serverId: qualified.serverId, name: original };
}

/** The server and original URI behind a resource URI the client used. */
export function resolveUri(view: View, uri: string): { serverId: string; uri: string } {
  if (view.scope) return { serverId: view.scope, uri };
  const parsed = parseExposedUri(uri);
  if (!parsed) {
    throw new RpcFailure(JSONRPC_ERRORS.INVALID_PARAMS, `Unknown resource "${uri}": URIs on this endpoint are peta://<serverId>/<uri>`);
  }
  return parsed;
}

/** The URI as this view shows it, for notifications about a server's resource. */
export function presentUri(view: View, serverId: string, uri: string): string {
  return view.scope ? uri : exposedUri(serverId, uri);
}

/**
 * A tool result's or prompt's content as this view shows it. A resource link or an embedded resource
 * names the server's own URI; on the aggregated endpoint it becomes the `peta://` form, so the client
 * can read it back through the gateway with resources/read.
 */
export function presentContent(view: View, serverId: string, content: unknown): unknown {
  if (view.scope || typeof content !== "object" || content === null) return content;
  const block = content as Item;
  if (block.type === "resource_link" && typeof block.uri === "string") return { ...block, uri: exposedUri(serverId, block.uri) };
  const resource = block.resource as Item | undefined;
  if (block.type === "resource" && typeof resource?.uri === "string") return { ...block, resource: { ...resource, uri: exposedUri(serverId, resource.uri) } };
  return content;
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
