import { sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { rowsOf } from "../db/rows.ts";
import { lockAdminChain } from "./admin-chain.ts";

export interface PruneResult {
  deleted: number;
  /** Chains whose anchor moved forward. */
  anchored: number;
}

/**
 * Deletes records older than `cutoff` and, per chain, records the last deleted record's seq and hash as the
 * chain's anchor, in one statement (so one transaction): VERIFY_AUDIT then starts each chain from its
 * anchor and still passes. Only a chain's leading run of old records goes: a record older than the cutoff
 * that follows a newer one (concurrent calls in a session are sealed in completion order) waits for a later
 * prune, since removing it would leave a gap that reads as a deleted record. The run also stops at a seq
 * that is already missing (`missing_before` counts the gaps since the anchor): pruning across a deleted
 * record would anchor past it and hide the deletion.
 */
export async function pruneAudit(db: Database, cutoff: Date): Promise<PruneResult> {
  return db.transaction(async (tx) => {
    // The admin chain's next append reads its head from the records or, once they are all gone, the anchor:
    // it must see either the state before this prune or the state after, never half of it.
    await lockAdminChain(tx);
    const result = await tx.execute(sql`
      with numbered as (
        select r.chain_id, r.seq, r.ts,
               r.seq - coalesce(a.seq, 0) - row_number() over (partition by r.chain_id order by r.seq) as missing_before
        from audit_records r left join audit_anchors a on a.chain_id = r.chain_id
      ),
      kept as (
        select chain_id, min(seq) as first_kept from numbered
        where ts >= ${cutoff.toISOString()} or missing_before <> 0
        group by chain_id
      ),
      deleted as (
        delete from audit_records r
        where r.ts < ${cutoff.toISOString()}
          and not exists (select 1 from kept k where k.chain_id = r.chain_id and r.seq >= k.first_kept)
        returning r.chain_id, r.seq, r.hash
      ),
      last_deleted as (
        select distinct on (chain_id) chain_id, seq, hash from deleted order by chain_id, seq desc
      ),
      anchored as (
        insert into audit_anchors (chain_id, seq, hash)
        select chain_id, seq, hash from last_deleted
        on conflict (chain_id) do update set seq = excluded.seq, hash = excluded.hash
        where audit_anchors.seq < excluded.seq
        returning chain_id
      )
      select (select count(*) from deleted)::int as deleted, (select count(*) from anchored)::int as anchored
    `);
    const [row] = rowsOf(result);
    return { deleted: Number(row?.deleted ?? 0), anchored: Number(row?.anchored ?? 0) };
  });
}

/**
 * The cutoff for a retention of `days`, or null for "0" (keep everything). A missing or invalid setting
 * falls back to the documented 90 rather than pruning by accident.
 */
export function retentionCutoff(days: string | undefined, now = Date.now()): Date | null {
  const parsed = Number(days?.trim() || "90");
  if (parsed === 0) return null;
  const retention = Number.isFinite(parsed) && parsed > 0 ? parsed : 90;
  return new Date(now - retention * 86_400_000);
}
