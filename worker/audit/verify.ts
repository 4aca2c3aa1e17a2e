import { and, asc, eq, gt, lte, max, min, or } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { auditAnchors, auditRecords } from "../db/schema.ts";
import { auditWhere } from "./query.ts";
import { auditHash } from "./record.ts";

export interface VerifyScope {
  since?: string | undefined;
  until?: string | undefined;
  /** Only the chain(s) holding this session's records. */
  sessionId?: string | undefined;
  /** Only this chain: a stateless (2026-07-28) chain has no session id to find it by. */
  chainId?: string | undefined;
}

export interface Mismatch {
  chainId: string;
  seq: number;
  /** The record where the break shows: the edited one, or the one after a deleted record. */
  id: string;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  checked: number;
  firstMismatch?: Mismatch;
  /** Every break found, in every chain in scope. */
  mismatchCount: number;
  /** The first MISMATCHES_LISTED of them, in chain and seq order. */
  mismatches: Mismatch[];
}

/** Records read per query while walking a chain. */
const VERIFY_PAGE_SIZE = 1000;

/** How many breaks a reply lists; the rest are counted. */
export const MISMATCHES_LISTED = 20;

/** Counts every break and keeps the first few: one planted false alarm cannot hide a real deletion behind it. */
class Breaks {
  count = 0;
  readonly listed: Mismatch[] = [];

  add(mismatch: Mismatch): void {
    this.count++;
    if (this.listed.length < MISMATCHES_LISTED) this.listed.push(mismatch);
  }
}

/**
 * Walks every chain with a record in scope, in seq order, from the first such record to the last and one
 * record either side: each record's hash must match its contents, its prev_hash the hash before it, and
 * seq must have no gaps. After a break the walk goes on, linking the next record to what is there, so
 * each break is reported once and none hides another.
 * The walk covers the chain's whole seq interval rather than only records with ts in the range, because
 * concurrent calls in one session may finish, and so be sealed, out of timestamp order.
 */
export async function verifyAudit(db: Database, scope: VerifyScope): Promise<VerifyResult> {
  const chains = await db
    .select({ chainId: auditRecords.chainId, first: min(auditRecords.seq), last: max(auditRecords.seq) })
    .from(auditRecords)
    .where(
      and(
        auditWhere({ since: scope.since, until: scope.until }),
        scope.sessionId === undefined ? undefined : or(eq(auditRecords.sessionId, scope.sessionId), eq(auditRecords.chainId, scope.sessionId)),
        scope.chainId === undefined ? undefined : eq(auditRecords.chainId, scope.chainId),
      ),
    )
    .groupBy(auditRecords.chainId)
    .orderBy(asc(auditRecords.chainId));

  let checked = 0;
  const breaks = new Breaks();
  for (const chain of chains) checked += await verifyChain(db, chain.chainId, chain.first ?? 1, chain.last ?? 0, breaks);
  const [first] = breaks.listed;
  return { ok: first === undefined, checked, ...(first ? { firstMismatch: first } : {}), mismatchCount: breaks.count, mismatches: breaks.listed };
}

/** Returns how many records it checked; what it finds broken goes to `breaks`. */
async function verifyChain(db: Database, chainId: string, first: number, last: number, breaks: Breaks): Promise<number> {
  const start = await linkBefore(db, chainId, first);
  if (start.mismatch) breaks.add(start.mismatch);

  // One record past the range is checked too, as the record before it was: a record whose ts was edited
  // to fall outside the range no longer counts as in it, but it is still the range's neighbour.
  const end = last + 1;
  let expectedSeq = first;
  let prevHash = start.hash;
  let checked = start.checked;
  while (expectedSeq <= end) {
    const rows = await db
      .select()
      .from(auditRecords)
      .where(and(eq(auditRecords.chainId, chainId), gt(auditRecords.seq, expectedSeq - 1), lte(auditRecords.seq, end)))
      .orderBy(asc(auditRecords.seq))
      .limit(VERIFY_PAGE_SIZE);
    if (rows.length === 0) break;
    for (const row of rows) {
      const at = { chainId, seq: row.seq, id: row.id };
      // A run of deleted records is one break. The record after it links to one that is gone, so only its
      // contents are checked; a record whose link is broken is reported for that alone.
      const gap = row.seq !== expectedSeq;
      if (gap) breaks.add({ ...at, seq: expectedSeq, reason: missing(expectedSeq, row.seq - 1) });
      if (!gap && prevHash !== undefined && row.prevHash !== prevHash) {
        breaks.add({ ...at, reason: `prev_hash does not match the hash of seq ${expectedSeq - 1}: a record was replaced, reordered or forged` });
      } else {
        checked++;
        if ((await auditHash(row)) !== row.hash) breaks.add({ ...at, reason: EDITED });
      }
      prevHash = row.hash;
      expectedSeq = row.seq + 1;
    }
  }
  // The range's successor is missing only if something follows it: a deletion, not the chain's end.
  if (expectedSeq === end) {
    const [later] = await db
      .select({ id: auditRecords.id })
      .from(auditRecords)
      .where(and(eq(auditRecords.chainId, chainId), gt(auditRecords.seq, end)))
      .orderBy(asc(auditRecords.seq))
      .limit(1);
    if (later) breaks.add({ chainId, seq: end, id: later.id, reason: missing(end) });
  }
  return checked;
}

const EDITED = "hash does not match the record's contents: the record was edited";

function missing(seq: number, last = seq): string {
  return last === seq ? `seq ${seq} is missing: a record was deleted` : `seq ${seq} to ${last} are missing: ${last - seq + 1} records were deleted`;
}

/**
 * The hash the first record in scope must link to: none for seq 1, else its predecessor's (which may lie
 * outside the time range, and whose own hash is checked too), else the anchor a prune left when it
 * removed the predecessor. Undefined when the predecessor is gone with no anchor to stand for it.
 */
async function linkBefore(db: Database, chainId: string, first: number): Promise<{ hash: string | null | undefined; checked: number; mismatch?: Mismatch }> {
  if (first === 1) return { hash: null, checked: 0 };
  const [previous] = await db
    .select()
    .from(auditRecords)
    .where(and(eq(auditRecords.chainId, chainId), eq(auditRecords.seq, first - 1)));
  if (previous) {
    const edited = (await auditHash(previous)) !== previous.hash;
    return { hash: previous.hash, checked: 1, ...(edited ? { mismatch: { chainId, seq: previous.seq, id: previous.id, reason: EDITED } } : {}) };
  }
  const [anchor] = await db.select().from(auditAnchors).where(eq(auditAnchors.chainId, chainId));
  if (anchor && anchor.seq === first - 1) return { hash: anchor.hash, checked: 0 };
  const [next] = await db
    .select({ id: auditRecords.id })
    .from(auditRecords)
    .where(and(eq(auditRecords.chainId, chainId), eq(auditRecords.seq, first)));
  return { hash: undefined, checked: 0, mismatch: { chainId, seq: first - 1, id: next?.id ?? "", reason: missing(first - 1) } };
}
