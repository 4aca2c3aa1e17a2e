import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import type { Database } from "../db/client.ts";
import { permissionGrants, servers, USER_ROLES, type UserRole } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { getUser } from "../users/store.ts";
import { pushToEveryone, pushUserChange } from "../users/live-sessions.ts";
import { defineAction } from "./action.ts";
import { serverIdField } from "./capabilities.ts";

const grantsField = z
  .record(
    serverIdField,
    z.strictObject({
      enabled: z.boolean().describe("Whether the server is granted at all; false also revokes a publicAccess server"),
      tools: z.record(z.string().min(1).max(1024), z.boolean()).optional().describe("Tool name → false to withhold it; unnamed tools come with the server"),
    }),
  )
  .describe("serverId → grant; replaces every grant of the subject");

type Grants = z.output<typeof grantsField>;
type Subject = { userId: string; role?: never } | { role: UserRole; userId?: never };

/** Replaces all of a subject's grants at once, so what the admin sent is exactly what holds. */
async function replaceGrants(db: Database, subject: Subject, grants: Grants) {
  const serverIds = Object.keys(grants);
  if (serverIds.length > 0) {
    const known = await db.select({ serverId: servers.serverId }).from(servers).where(inArray(servers.serverId, serverIds));
    const missing = serverIds.filter((id) => !known.some((row) => row.serverId === id));
    if (missing.length > 0) throw new AppError("NOT_FOUND", `No server with serverId ${missing.map((id) => `"${id}"`).join(", ")}`);
  }
  const where = subject.userId !== undefined ? and(eq(permissionGrants.userId, subject.userId), isNull(permissionGrants.role)) : eq(permissionGrants.role, subject.role);
  await db.delete(permissionGrants).where(where);
  if (serverIds.length > 0) {
    await db.insert(permissionGrants).values(
      Object.entries(grants).map(([serverId, grant]) => ({
        userId: subject.userId ?? null,
        role: subject.role ?? null,
        serverId,
        enabled: grant.enabled,
        tools: grant.tools ?? {},
      })),
    );
  }
  const rows = await db.select().from(permissionGrants).where(where).orderBy(asc(permissionGrants.serverId));
  return Object.fromEntries(rows.map((row) => [row.serverId, { enabled: row.enabled, tools: row.tools }]));
}

export const permissionActions = [
  defineAction({
    code: 1002,
    name: "UPDATE_USER_PERMISSIONS",
    mutates: true,
    summary:
      "Replaces a user's grants: which servers, and which tools within them, the user may use. The user's own grant for a server takes precedence over their role's (1003), which takes precedence over the server's publicAccess.",
    returns: "`{userId, servers: {<serverId>: {enabled, tools}}}`",
    input: z.strictObject({ userId: z.uuid().describe("The user's id"), servers: grantsField }),
    async run({ db, env, afterCommit }, data) {
      afterCommit(() => pushUserChange(env, data.userId, { kind: "refresh" }));
      await getUser(db, data.userId, { forUpdate: true });
      return { userId: data.userId, servers: await replaceGrants(db, { userId: data.userId }, data.servers) };
    },
  }),
  defineAction({
    code: 1003,
    name: "UPDATE_ROLE_PERMISSIONS",
    mutates: true,
    summary: "Replaces the grants of every user with a role (user, admin or owner); a user's own grant for a server overrides it.",
    returns: "`{role, servers: {<serverId>: {enabled, tools}}}`",
    input: z.strictObject({ role: z.enum(USER_ROLES).describe("The role whose grants are replaced"), servers: grantsField }),
    async run({ db, env, afterCommit }, data) {
      afterCommit(() => pushToEveryone(env, { kind: "refresh" }));
      return { role: data.role, servers: await replaceGrants(db, { role: data.role }, data.servers) };
    },
  }),
];
