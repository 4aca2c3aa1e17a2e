import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { serverIdField } from "../admin/capabilities.ts";
import { pushUserChange } from "../users/live-sessions.ts";
import { defineAction } from "../admin/action.ts";
import { userNarrowings } from "../db/schema.ts";
import { loadCatalogItems } from "../policy/catalog-items.ts";
import { compilePolicy } from "../policy/compile.ts";
import { isGranted } from "../policy/layers.ts";
import { effectiveCapabilities } from "../policy/effective.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import { callerOf } from "../policy/types.ts";
import { userIdOf } from "./user-id.ts";

const clientName = z.string().max(200).default("").describe("A client's clientInfo.name, for a narrowing of that client only; empty: every client");
const switches = z.record(z.string().min(1).max(1024), z.boolean());

export const getMyCapabilitiesInput = z.strictObject({ clientName });

/** 3011's data, also the Desk's `capabilities.set` message: one schema for both. */
export const setMyCapabilitiesInput = z.strictObject({
  clientName,
  servers: z
    .record(
      serverIdField,
      z.strictObject({
        enabled: z.boolean().optional().describe("false turns the whole server off"),
        tools: switches.optional().describe("Tool name → false to turn it off"),
        prompts: switches.optional().describe("Prompt name → false to turn it off"),
        resources: switches.optional().describe("Resource URI → false to turn it off"),
      }),
    )
    .describe("serverId → what to turn off; {} clears the narrowing"),
});

export const capabilitySelfServiceActions = [
  defineAction({
    code: 3010,
    name: "GET_MY_CAPABILITIES",
    summary: "What you may use (for one client, or all), item by item, with the layer that removed each missing item; and your own narrowing. Private servers not granted to you are left out.",
    returns: "`{clientName, narrowing: {<serverId>: {enabled?, tools?, prompts?, resources?}}, servers: [{serverId, tools: [{name, title, description, available, dangerLevel, removedBy, ruleId, reason}], prompts, resources}]}`",
    input: getMyCapabilitiesInput,
    async run({ db, principal }, data) {
      const userId = userIdOf(principal);
      const snapshot = await loadPolicySnapshot(db, principal, null);
      // A private server not granted to the caller is left out: to them it does not exist.
      const serverIds = Object.keys(snapshot.servers).filter((serverId) => isGranted(snapshot, serverId));
      const catalogs = await loadCatalogItems(db, { userId, serverIds: serverIds.sort() });
      return {
        clientName: data.clientName,
        narrowing: snapshot.narrowings[data.clientName] ?? {},
        servers: effectiveCapabilities(compilePolicy(snapshot), callerOf(snapshot, { name: data.clientName, version: "" }), catalogs),
      };
    },
  }),
  defineAction({
    code: 3011,
    name: "SET_MY_CAPABILITIES",
    mutates: true,
    summary:
      "Replaces your own narrowing, for one client or all: servers, tools, prompts or resources you turn off (false). It can only narrow: true grants nothing an admin has not.",
    returns: "`{clientName, narrowing}`",
    input: setMyCapabilitiesInput,
    async run({ db, principal, env, afterCommit }, data) {
      afterCommit(() => pushUserChange(env, userIdOf(principal), { kind: "refresh" }));
      const userId = userIdOf(principal);
      const where = and(eq(userNarrowings.userId, userId), eq(userNarrowings.clientName, data.clientName));
      if (Object.keys(data.servers).length === 0) {
        await db.delete(userNarrowings).where(where);
      } else {
        const values = { userId, clientName: data.clientName, servers: data.servers, updatedAt: new Date() };
        await db.insert(userNarrowings).values(values).onConflictDoUpdate({ target: [userNarrowings.userId, userNarrowings.clientName], set: values });
      }
      return { clientName: data.clientName, narrowing: data.servers };
    },
  }),
];
