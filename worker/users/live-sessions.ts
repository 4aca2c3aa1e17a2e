import type { UserChange } from "../../durable-objects/desk.ts";
import type { AppEnv } from "../env.ts";

/**
 * Pushes a committed change of a user to every open session of theirs (through the user's Desk
 * object), so a disabled user's next request in an open session is refused without the session asking
 * the database. Awaited by the admin request, so the change has reached every session when it answers.
 */
export async function pushUserChange(env: AppEnv, userId: string, change: UserChange): Promise<void> {
  await env.DESK.getByName(userId).applyChange(change);
}
