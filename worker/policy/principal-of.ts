import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { users } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import type { PolicySubject } from "./snapshot.ts";

/** Whom a user's own calls are decided for, for admin queries that answer "what would this user get". */
export async function principalOfUser(db: Database, userId: string): Promise<PolicySubject> {
  const [row] = await db.select({ role: users.role }).from(users).where(eq(users.id, userId)).limit(1);
  if (!row) throw new AppError("NOT_FOUND", `No user with userId "${userId}"`);
  return { role: row.role, userId };
}

/** The owner key: no user row, so no grants or narrowing of its own. */
export const OWNER_PRINCIPAL: PolicySubject = { role: "owner", userId: null };
