import { and, asc, eq, isNull, ne, or, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { servers, vaultRecords } from "../db/schema.ts";
import { decryptRecord, encryptRecord } from "./envelope.ts";
import type { KeyRing } from "./keyring.ts";
import { placeOf } from "./records.ts";
import { openServerConfig, sealServerConfig } from "./server-config.ts";

export interface RotationProgress {
  /** Records re-encrypted under the active key by this call. */
  reencrypted: number;
  /** Records still under an older key (or in plaintext, for pre-vault servers). 0 means done. */
  remaining: number;
  activeKeyId: string;
}

export interface RotationOptions {
  batchSize: number;
  deadline: number;
  /** Runs one batch in a transaction of its own (the admin action's also writes the batch's audit record). */
  transaction<T>(work: (tx: Database) => Promise<T>): Promise<T>;
}

/**
 * Re-encrypts every vault record and server configuration not yet under the active key, one batch per
 * transaction, so a long rotation never holds one transaction and its row locks open. Each batch commits
 * on its own, so an interrupted rotation resumes where it stopped, and a record written meanwhile under
 * the active key is simply not selected: running it again is harmless. A call works until `deadline`,
 * so a large vault is rotated over several calls.
 */
export async function rotateVault(db: Database, ring: KeyRing, options: RotationOptions): Promise<RotationProgress> {
  let reencrypted = 0;
  while (Date.now() < options.deadline) {
    const done = await options.transaction((tx) => rotateBatch(tx, ring, options.batchSize));
    reencrypted += done;
    if (done === 0) break;
  }
  return { reencrypted, remaining: await countStale(db, ring), activeKeyId: ring.activeKeyId };
}

async function rotateBatch(tx: Database, ring: KeyRing, batchSize: number): Promise<number> {
  const records = await tx
    .select()
    .from(vaultRecords)
    .where(ne(vaultRecords.keyId, ring.activeKeyId))
    .orderBy(asc(vaultRecords.id))
    .limit(batchSize)
    .for("update");
  for (const record of records) {
    const place = placeOf({ serverId: record.serverId, userId: record.userId }, record.name);
    const ciphertext = await encryptRecord(ring, place, await decryptRecord(ring, place, record.ciphertext));
    await tx.update(vaultRecords).set({ ciphertext, keyId: ring.activeKeyId }).where(eq(vaultRecords.id, record.id));
  }
  const configs = await tx
    .select()
    .from(servers)
    .where(staleConfig(ring))
    .orderBy(asc(servers.serverId))
    .limit(Math.max(0, batchSize - records.length))
    .for("update");
  for (const row of configs) {
    const sealed = await sealServerConfig(ring, row.serverId, await openServerConfig(ring, row));
    await tx.update(servers).set({ ...sealed, url: null, headers: null }).where(eq(servers.serverId, row.serverId));
  }
  return records.length + configs.length;
}

function staleConfig(ring: KeyRing) {
  return or(isNull(servers.configKeyId), ne(servers.configKeyId, ring.activeKeyId));
}

async function countStale(db: Database, ring: KeyRing): Promise<number> {
  const [records] = await db.select({ n: sql<number>`count(*)::int` }).from(vaultRecords).where(ne(vaultRecords.keyId, ring.activeKeyId));
  const [configs] = await db.select({ n: sql<number>`count(*)::int` }).from(servers).where(and(staleConfig(ring)));
  return (records?.n ?? 0) + (configs?.n ?? 0);
}
