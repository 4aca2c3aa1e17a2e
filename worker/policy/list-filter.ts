import type { CatalogEntry } from "../mcp/aggregate.ts";
import type { CompiledPolicy } from "./compile.ts";
import { isVisible } from "./decide.ts";
import type { CapabilityKind } from "../db/schema.ts";
import type { ItemAnnotations, PolicyCaller } from "./types.ts";

type Item = Record<string, unknown>;

/**
 * A server's catalog as one caller may see it: the items `isVisible` lets through, for the list methods
 * to present as usual. A resource template is judged by its `uriTemplate` as a resource, since the URIs
 * it stands for are not known until a client fills it in; each read is then decided on its own URI.
 */
export function visibleCatalog(policy: CompiledPolicy, caller: PolicyCaller, entry: CatalogEntry): CatalogEntry {
  const { serverId, catalog } = entry;
  const keep = (kind: CapabilityKind, field: "name" | "uri" | "uriTemplate") => (item: Item) =>
    isVisible(policy, { ...caller, serverId, kind, name: String(item[field]), annotations: item.annotations as ItemAnnotations | undefined });
  return {
    serverId,
    catalog: {
      ...catalog,
      tools: catalog.tools.filter(keep("tool", "name")),
      prompts: catalog.prompts.filter(keep("prompt", "name")),
      resources: catalog.resources.filter(keep("resource", "uri")),
      resourceTemplates: catalog.resourceTemplates.filter(keep("resource", "uriTemplate")),
    },
  };
}
