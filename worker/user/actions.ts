import { and, asc, eq } from "drizzle-orm";
import { z } from "zod";
import { defineAction } from "../admin/action.ts";
import type { ActionEndpoint } from "../admin/dispatch.ts";
import { servers, vaultRecords } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { forgetCatalogs } from "../mcp/catalog.ts";
import { isGranted } from "../policy/layers.ts";
import { loadPolicySnapshot } from "../policy/snapshot.ts";
import { requireServer } from "../servers/store.ts";
import { deleteRecords, putRecord } from "../vault/records.ts";
import { capabilitySelfServiceActions } from "./capabilities.ts";
import { assertHeaderSafeValues, MAX_VALUE_LENGTH, vaultValue } from "../vault/values.ts";
import { consentActions } from "./consents.ts";
import { profileActions } from "./profile.ts";
import { sessionActions } from "./sessions.ts";
import { userIdOf } from "./user-id.ts";
import { pushUserChange } from "../users/live-sessions.ts";

const serverId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "is not a valid serverId").describe("The server to configure");

/** 2001's data, also the Desk's `servers.configure` message. */
export const configureServerInput = z.strictObject({
  serverId,
  values: z
    .record(z.string(), vaultValue("Your value for NAME"))
    .refine((values) => Object.keys(values).length > 0, "must set at least one value")
    .describe(`NAME → value, for names the server declares in userInputs; each value at most ${MAX_VALUE_LENGTH} characters, and valid in a header if a header of the server refers to it`),
});

/** 2002's data, also the Desk's `servers.unconfigure` message. */
export const unconfigureServerInput = z.strictObject({ serverId });

const serverActions = [
  defineAction({
    code: 2001,
    name: "CONFIGURE_SERVER",
    mutates: true,
    summary: "Stores your personal values for a server (encrypted); they are used only for your own calls.",
    returns: "`{serverId, configured: string[], missing: string[]}` (missing: required inputs still unset)",
    input: configureServerInput,
    async run({ db, principal, vault, env, afterCommit }, data) {
      afterCommit(() => pushUserChange(env, userIdOf(principal), { kind: "refresh" }));
      const userId = userIdOf(principal);
      const server = await requireServer(db, data.serverId);
      const declared = new Set(server.userInputs.map((input) => input.name));
      const unknown = Object.keys(data.values).filter((name) => !declared.has(name));
      if (unknown.length > 0) {
        const asks = declared.size > 0 ? `it asks for: ${[...declared].join(", ")}` : "it asks for no personal values";
        throw new AppError("VALIDATION_FAILED", `Invalid input: data.values: server "${data.serverId}" does not ask for ${unknown.join(", ")}; ${asks}`);
      }
      const ring = await vault();
      await assertHeaderSafeValues(ring, server, "user", data.values, (name) => `data.values.${name}`);
      await db.transaction(async (tx) => {
        for (const [name, value] of Object.entries(data.values)) await putRecord(tx, ring, { serverId: data.serverId, userId }, name, value);
        // With other values the server may show this user other tools and resources.
        await forgetCatalogs(tx, data.serverId, userId);
      });
      const configured = await configuredNames(db, data.serverId, userId);
      return {
        serverId: data.serverId,
        configured: [...configured].sort(),
        missing: server.userInputs.filter((input) => input.required && !configured.has(input.name)).map((input) => input.name),
      };
    },
  }),
  defineAction({
    code: 2002,
    name: "UNCONFIGURE_SERVER",
    mutates: true,
    summary: "Deletes all your personal values for a server.",
    returns: "`{serverId, removed: number}`",
    input: unconfigureServerInput,
    async run({ db, principal, env, afterCommit }, data) {
      afterCommit(() => pushUserChange(env, userIdOf(principal), { kind: "refresh" }));
      const userId = userIdOf(principal);
      await requireServer(db, data.serverId);
      const removed = await deleteRecords(db, { serverId: data.serverId, userId });
      await forgetCatalogs(db, data.serverId, userId);
      return { serverId: data.serverId, removed };
    },
  }),
  defineAction({
    code: 2003,
    name: "LIST_MY_SERVERS",
    summary: "Lists the enabled servers you may use (public, or granted to you or your role), what personal values each asks for, and which you have set (never the values).",
    returns: "`{servers: [{serverId, name, configured, userInputs: [{name, description, required, configured}]}]}`",
    input: z.strictObject({}),
    async run({ db, principal }) {
      const userId = userIdOf(principal);
      const [snapshot, enabled] = await Promise.all([
        loadPolicySnapshot(db, principal, null),
        db
          .select({ serverId: servers.serverId, name: servers.name, userInputs: servers.userInputs })
          .from(servers)
          .where(eq(servers.enabled, true))
          .orderBy(asc(servers.serverId)),
      ]);
      // A private server not granted to the caller is, to them, a server that does not exist.
      const rows = enabled.filter((row) => isGranted(snapshot, row.serverId));
      const mine = await db
        .select({ serverId: vaultRecords.serverId, name: vaultRecords.name })
        .from(vaultRecords)
        .where(eq(vaultRecords.userId, userId));
      const has = new Set(mine.map((r) => `${r.serverId}/${r.name}`));
      return {
        servers: rows.map((row) => {
          const inputs = row.userInputs.map((input) => ({ ...input, configured: has.has(`${row.serverId}/${input.name}`) }));
          return { serverId: row.serverId, name: row.name, configured: inputs.every((i) => i.configured || !i.required), userInputs: inputs };
        }),
      };
    },
  }),
];

export const selfServiceActions = [...serverActions, ...capabilitySelfServiceActions, ...consentActions, ...profileActions, ...sessionActions];

/** POST /user, and the Desk channel's self-service messages, which run the same actions the same way. */
export const selfServiceEndpoint: ActionEndpoint = { actions: selfServiceActions, roles: ["owner", "admin", "user"], surface: "user" };

async function configuredNames(db: Parameters<typeof requireServer>[0], serverId: string, userId: string): Promise<Set<string>> {
  const rows = await db
    .select({ name: vaultRecords.name })
    .from(vaultRecords)
    .where(and(eq(vaultRecords.serverId, serverId), eq(vaultRecords.userId, userId)));
  return new Set(rows.map((r) => r.name));
}
