import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { apiKeys, users } from "../db/schema.ts";
import type { PresentedCredential } from "./credential.ts";

/**
 * Who a presented credential names, valid or not, for an audit record of a refusal: the owner, the
 * user behind a key id, or nobody known. Never used to let anyone in.
 */
export async function identifyCredential(db: Database, credential: PresentedCredential): Promise<{ userId: string | null; role: string | null }> {
  if (credential.via === "owner-key") return { userId: null, role: "owner" };
  if (credential.via === "oauth") {
    const [user] = await db.select({ userId: users.id, role: users.role }).from(users).where(eq(users.id, credential.userId)).limit(1);
    return user ?? { userId: credential.userId, role: null };
  }
  const [row] = await db
    .select({ userId: users.id, role: users.role })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.id, credential.keyId))
    .limit(1);
  return row ?? { userId: credential.via === "access-token" ? credential.userId : null, role: null };
}
