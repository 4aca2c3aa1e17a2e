import { eq } from "drizzle-orm";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import { users } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";

/** The principal a user's own calls run as, for admin queries that answer "what would this user get". */
export async function principalOfUser(db: Database, userId: string): Promise<Principal> {
  const [row] = await db.select({ role: users.role }).from(users).where(eq(users.id, userId)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", `No user with userId "${userId}"`);
  return { via: "api-key", role: row.role, userId, keyId: "" };
}

/** The owner key's principal: no user row, so no grants or narrowing of its own. */
export const OWNER_PRINCIPAL: Principal = { via: "owner-key", role: "owner", userId: null };
