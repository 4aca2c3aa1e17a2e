import type { CapabilityKind } from "../db/schema.ts";
import type { CompiledPolicy } from "./compile.ts";
import { listVerdict } from "./decide.ts";
import { dangerLevelOf } from "./layers.ts";
import type { DangerLevel, DecisionLayer, ItemAnnotations, PolicyCaller } from "./types.ts";

/** What a server offers, as its catalog lists it: names (URIs for resources) and tool annotations. */
export interface CatalogItems {
  serverId: string;
  tools: { name: string; annotations?: ItemAnnotations | undefined; title?: string; description?: string }[];
  prompts: { name: string }[];
  resources: { uri: string }[];
}

export interface EffectiveItem {
  name: string;
  /** A tool's title and description from its catalog, for people to read; null when it gives none (and for prompts and resources). */
  title: string | null;
  description: string | null;
  available: boolean;
  dangerLevel: DangerLevel;
  /** The layer (or rule) that removed the item; null when it is available. */
  removedBy: DecisionLayer | null;
  ruleId: string | null;
  reason: string | null;
}

export interface EffectiveServer {
  serverId: string;
  tools: EffectiveItem[];
  prompts: EffectiveItem[];
  resources: EffectiveItem[];
}

/** Every item of every catalog for one caller, each with the layer that removed it if one did (3003). */
export function effectiveCapabilities(compiled: CompiledPolicy, caller: PolicyCaller, catalogs: readonly CatalogItems[]): EffectiveServer[] {
  return catalogs.map((catalog) => {
    const item = (kind: CapabilityKind, name: string, annotations?: ItemAnnotations, text: { title?: string; description?: string } = {}): EffectiveItem => {
      const ref = { serverId: catalog.serverId, kind, name, annotations };
      const hidden = listVerdict(compiled, { ...caller, ...ref });
      return {
        name,
        title: text.title ?? null,
        description: text.description ?? null,
        available: hidden === null,
        dangerLevel: dangerLevelOf(compiled.snapshot, ref),
        removedBy: hidden?.layer ?? null,
        ruleId: hidden?.ruleId ?? null,
        reason: hidden?.reason ?? null,
      };
    };
    return {
      serverId: catalog.serverId,
      tools: catalog.tools.map((tool) => item("tool", tool.name, tool.annotations, tool)),
      prompts: catalog.prompts.map((prompt) => item("prompt", prompt.name)),
      resources: catalog.resources.map((resource) => item("resource", resource.uri)),
    };
  });
}
