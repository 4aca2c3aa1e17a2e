import { and, asc, eq, max, sql } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { type CapabilityKind, serverCapabilities, serverCatalogs, servers } from "../db/schema.ts";
import { serverNotFound } from "../servers/store.ts";
import { loadCatalogItems } from "../policy/catalog-items.ts";
import { compilePolicy } from "../policy/compile.ts";
import { effectiveCapabilities } from "../policy/effective.ts";
import { dangerLevelOf, layerRefusal } from "../policy/layers.ts";
import { OWNER_PRINCIPAL, principalOfUser } from "../policy/principal-of.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import { callerOf } from "../policy/types.ts";
import { stdioInstancesOf } from "../servers/stdio-instances.ts";
import { pushToEveryone } from "../users/live-sessions.ts";
import { defineAction } from "./action.ts";

export const serverIdField = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "is not a valid serverId")
  .describe("The server's id");
const userIdField = z.uuid().describe("The user's id");
const enabledField = z.boolean().nullable().optional().describe("false hides and refuses the item for everyone; null restores the default (enabled)");
const itemName = z.string().min(1).max(1024);

/** The server layer's view of every item: as configured, and what takes effect (defaults filled in). */
async function serverCapabilityViews(db: Database, serverIds: string[]) {
  const snapshot = await loadPolicySnapshot(db, OWNER_PRINCIPAL, serverIds.length === 1 ? serverIds[0]! : null);
  const catalogs = await loadCatalogItems(db, { userId: null, serverIds });
  return catalogs.map((catalog) => {
    const item = (kind: CapabilityKind, name: string, annotations?: { destructiveHint?: boolean | undefined }) => {
      const ref = { serverId: catalog.serverId, kind, name, annotations };
      return {
        name,
        enabled: layerRefusal(snapshot, "", ref) === null,
        dangerLevel: dangerLevelOf(snapshot, ref),
        configured: snapshot.servers[catalog.serverId]?.capabilities[kind][name] ?? null,
      };
    };
    const server = snapshot.servers[catalog.serverId]!;
    return {
      serverId: catalog.serverId,
      enabled: server.enabled,
      publicAccess: server.publicAccess,
      tools: catalog.tools.map((t) => item("tool", t.name, t.annotations)),
      prompts: catalog.prompts.map((p) => item("prompt", p.name)),
      resources: catalog.resources.map((r) => item("resource", r.uri)),
    };
  });
}

async function serverIdsOf(db: Database, serverId?: string): Promise<string[]> {
  const rows = await db
    .select({ serverId: servers.serverId })
    .from(servers)
    .where(serverId === undefined ? undefined : eq(servers.serverId, serverId))
    .orderBy(asc(servers.serverId));
  if (serverId !== undefined && rows.length === 0) throw serverNotFound(serverId);
  return rows.map((row) => row.serverId);
}

const capabilityView =
  "`{servers: [{serverId, enabled, publicAccess, tools: [{name, enabled, dangerLevel, configured: {enabled, dangerLevel} | null}], prompts: […], resources: […]}]}`";

export const capabilityActions = [
  defineAction({
    code: 2003,
    name: "UPDATE_SERVER_CAPABILITIES",
    mutates: true,
    summary:
      "Sets, per tool, prompt and resource of a server, whether it is enabled and (tools) its danger level: 0 silent, 1 notify, 2 approval. Omitted items and fields keep their settings; null restores the default (enabled; danger 1 for a tool annotated destructiveHint, else 0).",
    returns: capabilityView,
    input: z.strictObject({
      serverId: serverIdField,
      tools: z
        .record(itemName, z.strictObject({ enabled: enabledField, dangerLevel: z.union([z.literal(0), z.literal(1), z.literal(2)]).nullable().optional().describe("0 silent, 1 notify, 2 approval; null: the default") }))
        .optional()
        .describe("Tool name (the server's original) → settings"),
      prompts: z.record(itemName, z.strictObject({ enabled: enabledField })).optional().describe("Prompt name → settings"),
      resources: z.record(itemName, z.strictObject({ enabled: enabledField })).optional().describe("Resource URI → settings"),
    }),
    async run({ db, env, afterCommit }, data) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      await serverIdsOf(db, data.serverId);
      const changes: { kind: CapabilityKind; name: string; enabled?: boolean | null | undefined; dangerLevel?: 0 | 1 | 2 | null | undefined }[] = [
        ...Object.entries(data.tools ?? {}).map(([name, s]) => ({ kind: "tool" as const, name, ...s })),
        ...Object.entries(data.prompts ?? {}).map(([name, s]) => ({ kind: "prompt" as const, name, ...s })),
        ...Object.entries(data.resources ?? {}).map(([name, s]) => ({ kind: "resource" as const, name, ...s })),
      ];
      for (const change of changes) {
        const set = {
          ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
          ...(change.dangerLevel !== undefined ? { dangerLevel: change.dangerLevel } : {}),
          updatedAt: new Date(),
        };
        await db
          .insert(serverCapabilities)
          .values({ serverId: data.serverId, kind: change.kind, name: change.name, ...set })
          .onConflictDoUpdate({ target: [serverCapabilities.serverId, serverCapabilities.kind, serverCapabilities.name], set });
      }
      // A row that is back to every default says nothing; dropping it keeps 3002 about real settings.
      await db
        .delete(serverCapabilities)
        .where(and(eq(serverCapabilities.serverId, data.serverId), sql`${serverCapabilities.enabled} is null and ${serverCapabilities.dangerLevel} is null`));
      return { servers: await serverCapabilityViews(db, [data.serverId]) };
    },
  }),
  defineAction({
    code: 3002,
    name: "GET_ALL_CAPABILITIES",
    summary: "Every server's tools, prompts and resources (as last fetched, plus any configured) with their server-layer settings.",
    returns: capabilityView,
    input: z.strictObject({}),
    async run({ db }) {
      return { servers: await serverCapabilityViews(db, await serverIdsOf(db)) };
    },
  }),
  defineAction({
    code: 3003,
    name: "GET_USER_CAPABILITIES",
    summary:
      "What one user may use, after all three layers and the rules that do not depend on a call: every known item, and for each missing one the layer (server, grant, user, rule) that removed it and why.",
    returns: "`{userId, clientName, servers: [{serverId, tools: [{name, title, description, available, dangerLevel, removedBy, ruleId, reason}], prompts, resources}]}`",
    input: z.strictObject({
      userId: userIdField,
      clientName: z.string().max(200).default("").describe("Apply the user's narrowing for this client (clientInfo.name) too; empty: all clients"),
    }),
    async run({ db }, data) {
      const principal = await principalOfUser(db, data.userId);
      const snapshot = await loadPolicySnapshot(db, principal, null);
      const catalogs = await loadCatalogItems(db, { userId: data.userId, serverIds: Object.keys(snapshot.servers).sort() });
      return { userId: data.userId, clientName: data.clientName, servers: effectiveCapabilities(compilePolicy(snapshot), callerOf(snapshot, { name: data.clientName, version: "" }), catalogs) };
    },
  }),
  defineAction({
    code: 3004,
    name: "GET_SERVER_STATUS",
    summary:
      "Each server's switches and what the gateway last saw of it: enabled, publicAccess, when its catalog was last fetched (null: never, or since a change), and for a stdio server its instances: state (online, sleeping, starting, error), the last error (scrubbed of its values), when it last changed and how often it started. A remote server's connections are per session and not reported (instances: null). For every transport, what the last connection attempt of any session, bridge or CREATE_SERVER/UPDATE_SERVER probe saw: lastConnectError (scrubbed, naming the transport and the URL without its secrets) with lastConnectErrorAt, the back-off's nextConnectTryAt while it is failing, and lastConnectedAt (an error older than it is past).",
    returns:
      "`{servers: [{serverId, enabled, publicAccess, catalogFetchedAt: string | null, lastConnectError: string | null, lastConnectErrorAt: string | null, nextConnectTryAt: string | null, lastConnectedAt: string | null, instances: (InstanceStatus & {userId})[] | null}]}`",
    input: z.strictObject({ serverId: serverIdField.optional() }),
    async run({ db, vault, env }, data) {
      const rows = await db
        .select({
          serverId: servers.serverId,
          enabled: servers.enabled,
          publicAccess: servers.publicAccess,
          fetchedAt: max(serverCatalogs.fetchedAt),
          lastConnectError: servers.lastConnectError,
          lastConnectErrorAt: servers.lastConnectErrorAt,
          nextConnectTryAt: servers.nextConnectTryAt,
          lastConnectedAt: servers.lastConnectedAt,
        })
        .from(servers)
        .leftJoin(serverCatalogs, eq(serverCatalogs.serverId, servers.serverId))
        .where(data.serverId === undefined ? undefined : eq(servers.serverId, data.serverId))
        .groupBy(servers.serverId)
        .orderBy(asc(servers.serverId));
      if (data.serverId !== undefined && rows.length === 0) throw serverNotFound(data.serverId);
      return {
        servers: await Promise.all(
          rows.map(async ({ fetchedAt, lastConnectErrorAt, nextConnectTryAt, lastConnectedAt, ...row }) => ({
            ...row,
            catalogFetchedAt: fetchedAt ? new Date(fetchedAt).toISOString() : null,
            lastConnectErrorAt: lastConnectErrorAt?.toISOString() ?? null,
            nextConnectTryAt: nextConnectTryAt?.toISOString() ?? null,
            lastConnectedAt: lastConnectedAt?.toISOString() ?? null,
            instances: await stdioInstancesOf(db, vault, env, row.serverId),
          })),
        ),
      };
    },
  }),
  defineAction({
    code: 3005,
    name: "GET_SERVER_CAPABILITIES",
    summary: "One server's tools, prompts and resources with their server-layer settings.",
    returns: capabilityView,
    input: z.strictObject({ serverId: serverIdField }),
    async run({ db }, data) {
      return { servers: await serverCapabilityViews(db, await serverIdsOf(db, data.serverId)) };
    },
  }),
];
