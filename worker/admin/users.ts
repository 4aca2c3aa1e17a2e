import { z } from "zod";
import type { Principal } from "../auth/principal.ts";
import { USER_ROLES, USER_STATUSES, type UserRole } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { pushUserChange } from "../users/live-sessions.ts";
import { createUser, deleteUser, getUser, listUsers, rotateUserKey, updateUser } from "../users/store.ts";
import { defineAction } from "./action.ts";

const userId = z.uuid().describe("The user's id, as returned by CREATE_USER");
const name = z.string().trim().min(1).max(200).describe("Display name");
// One mailbox, one user: stored lower-case, so Dup@Example.com and dup@example.com cannot both exist.
const email = z.email().max(320).toLowerCase().describe("Unique email address (stored lower-case)");
const role = z.enum(USER_ROLES).describe("owner and admin may use /admin; only the owner may grant or alter them");
const attributes = z
  .record(z.string().max(100), z.json())
  .describe("Free-form attributes for policy rules, e.g. {\"team\": \"data\"}");

/** Admins manage plain users; only the owner may create, alter or remove an admin or another owner. */
function assertMayManage(principal: Principal, ...roles: (UserRole | undefined)[]): void {
  if (principal.role === "owner") return;
  if (roles.some((r) => r === "owner" || r === "admin")) {
    throw new AppError("FORBIDDEN", "Only the owner may create or alter an admin or owner");
  }
}

export const userActions = [
  defineAction({
    code: 1010,
    name: "CREATE_USER",
    mutates: true,
    summary: "Creates a user and returns its API key, shown only this once.",
    returns: "`{userId, apiKey, user}`",
    input: z.strictObject({
      name,
      role: role.default("user"),
      email: email.optional(),
      attributes: attributes.default({}),
    }),
    async run({ db, principal }, data) {
      assertMayManage(principal, data.role);
      const { user, apiKey } = await createUser(db, data);
      return { userId: user.userId, apiKey, user };
    },
  }),
  defineAction({
    code: 1011,
    name: "GET_USERS",
    summary: "Lists users, or one user by id. Never returns key material.",
    returns: "`{users: User[]}`",
    input: z.strictObject({ userId: userId.optional() }),
    async run({ db }, data) {
      return { users: await listUsers(db, data) };
    },
  }),
  defineAction({
    code: 1012,
    name: "UPDATE_USER",
    mutates: true,
    summary: "Changes a user's name, email, role, status, attributes or rate limit.",
    returns: "`{user}`",
    input: z.strictObject({
      userId,
      name: name.optional(),
      email: email.nullable().optional().describe("Unique email address; null clears it"),
      role: role.optional(),
      status: z.enum(USER_STATUSES).optional().describe("disabled refuses the user's key and tokens at once"),
      attributes: attributes.optional().describe("Replaces the attributes object"),
      rateLimitPerMinute: z
        .number()
        .int()
        .min(1)
        .max(1_000_000)
        .nullable()
        .optional()
        .describe("Calls per minute across all the user's sessions; null: the gateway default (RATE_LIMIT_PER_MINUTE)"),
    }),
    async run({ db, principal, env, afterCommit }, { userId, ...patch }) {
      const current = await getUser(db, userId, { forUpdate: true });
      assertMayManage(principal, current.role, patch.role);
      const user = await updateUser(db, userId, patch);
      if (user.status === "disabled" && current.status !== "disabled") {
        afterCommit(() => pushUserChange(env, userId, { kind: "disabled" }));
      } else {
        if (user.role !== current.role) afterCommit(() => pushUserChange(env, userId, { kind: "role", role: user.role }));
        // Role grants, attributes and rate limit are part of the policy the user's sessions hold.
        afterCommit(() => pushUserChange(env, userId, { kind: "refresh" }));
      }
      return { user };
    },
  }),
  defineAction({
    code: 1013,
    name: "DELETE_USER",
    mutates: true,
    summary: "Deletes a user and its keys; its tokens stop working at once.",
    returns: "`{userId, deleted: true}`",
    input: z.strictObject({ userId }),
    async run({ db, principal, env, afterCommit }, data) {
      assertMayManage(principal, (await getUser(db, data.userId, { forUpdate: true })).role);
      await deleteUser(db, data.userId);
      afterCommit(() => pushUserChange(env, data.userId, { kind: "deleted" }));
      return { userId: data.userId, deleted: true };
    },
  }),
  defineAction({
    code: 1001,
    name: "DISABLE_USER",
    mutates: true,
    summary: "Disables a user; its key and tokens are refused at once. UPDATE_USER with status \"active\" re-enables.",
    returns: "`{user}`",
    input: z.strictObject({ userId }),
    async run({ db, principal, env, afterCommit }, data) {
      assertMayManage(principal, (await getUser(db, data.userId, { forUpdate: true })).role);
      const user = await updateUser(db, data.userId, { status: "disabled" });
      afterCommit(() => pushUserChange(env, data.userId, { kind: "disabled" }));
      return { user };
    },
  }),
  defineAction({
    code: 1017,
    name: "ROTATE_USER_KEY",
    mutates: true,
    summary: "Issues a new API key (shown once); the old key and every token minted from it stop working.",
    returns: "`{userId, apiKey}`",
    input: z.strictObject({ userId }),
    async run({ db, principal, env, afterCommit }, data) {
      assertMayManage(principal, (await getUser(db, data.userId, { forUpdate: true })).role);
      const rotated = await rotateUserKey(db, data.userId);
      for (const keyId of rotated.revokedKeyIds) afterCommit(() => pushUserChange(env, data.userId, { kind: "key-revoked", keyId }));
      return { userId: data.userId, apiKey: rotated.apiKey };
    },
  }),
];
