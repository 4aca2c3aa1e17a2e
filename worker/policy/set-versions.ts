import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { policySets, policySetVersions } from "../db/schema.ts";

type PolicySetRow = typeof policySets.$inferSelect;
export type PolicySetVersionRow = typeof policySetVersions.$inferSelect;

/**
 * Keeps the full content of the version `row` is at. Run it in the transaction that made the version, so a
 * set never has a version the history lacks; a repeated write of one version adds nothing.
 */
export async function keepVersion(db: Database, row: PolicySetRow): Promise<void> {
  const { id, version, name, serverId, timeZone, rules, updatedAt } = row;
  await db
    .insert(policySetVersions)
    .values({ policySetId: id, version, name, serverId, timeZone, rules, createdAt: updatedAt })
    .onConflictDoNothing({ target: [policySetVersions.policySetId, policySetVersions.version] });
}

/** A set's kept versions, oldest first, or only `version`; the set itself may have been deleted since. */
export async function keptVersions(db: Database, policySetId: string, version?: number): Promise<PolicySetVersionRow[]> {
  return db
    .select()
    .from(policySetVersions)
    .where(and(eq(policySetVersions.policySetId, policySetId), version === undefined ? undefined : eq(policySetVersions.version, version)))
    .orderBy(asc(policySetVersions.version));
}
