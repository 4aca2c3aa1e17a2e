import type { UserChange } from "../../durable-objects/desk.ts";
import type { AppEnv } from "../env.ts";

/** The desk of the owner key's sessions, which have no user. User ids are UUIDs, so it names no user. */
export const OWNER_DESK = "owner";

/** The one SessionDirectory instance's name: there is a single directory per deployment. */
export const SESSION_DIRECTORY_NAME = "all";

/**
 * Pushes a committed change of a user to every open session of theirs (through the user's Desk
 * object), so a disabled user's next request in an open session is refused without the session asking
 * the database. Awaited by the admin request, so the change has reached every session when it answers.
 */
export async function pushUserChange(env: AppEnv, userId: string, change: UserChange): Promise<void> {
  await env.DESK.getByName(userId).applyChange(change);
  // The user's 2026-07-28 bridges have no session on the desk; their servers' values are read again too.
  if (change.kind === "refresh") await env.SESSION_DIRECTORY.getByName(SESSION_DIRECTORY_NAME).refreshBridgesOf(userId);
}

/**
 * Pushes a committed change that concerns every session (a server added, changed or deleted, a server
 * secret set or removed) to all of them, through the directory of desks with live sessions.
 */
export async function pushToEveryone(env: AppEnv, change: UserChange): Promise<void> {
  await env.SESSION_DIRECTORY.getByName(SESSION_DIRECTORY_NAME).broadcast(change);
}
