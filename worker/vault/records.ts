import { and, asc, eq, isNull, or, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { vaultRecords } from "../db/schema.ts";
import { decryptRecord, encryptRecord, type RecordPlace } from "./envelope.ts";
import type { KeyRing } from "./keyring.ts";

/** Where a record lives: the server's own secret (no user), or one user's value for the server. */
export interface RecordOwner {
  serverId: string;
  userId: string | null;
}

/** The additional authenticated data of a record: a ciphertext copied to any other row fails to decrypt. */
export function placeOf(owner: RecordOwner, name: string): RecordPlace {
  return owner.userId === null
    ? { kind: "server-secret", owner: owner.serverId, name }
    : { kind: "user-value", owner: `${owner.userId}/${owner.serverId}`, name };
}

export async function putRecord(db: Database, ring: KeyRing, owner: RecordOwner, name: string, value: string): Promise<void> {
  const ciphertext = await encryptRecord(ring, placeOf(owner, name), value);
  await db
    .insert(vaultRecords)
    .values({ id: crypto.randomUUID(), serverId: owner.serverId, userId: owner.userId, name, ciphertext, keyId: ring.activeKeyId })
    .onConflictDoUpdate({
      target: [vaultRecords.serverId, vaultRecords.userId, vaultRecords.name],
      set: { ciphertext, keyId: ring.activeKeyId, updatedAt: sql`now()` },
    });
}

function ownedBy(owner: RecordOwner) {
  return and(
    eq(vaultRecords.serverId, owner.serverId),
    owner.userId === null ? isNull(vaultRecords.userId) : eq(vaultRecords.userId, owner.userId),
  );
}

/** Returns how many records were deleted; `name` omitted deletes all of the owner's records. */
export async function deleteRecords(db: Database, owner: RecordOwner, name?: string): Promise<number> {
  const deleted = await db
    .delete(vaultRecords)
    .where(name === undefined ? ownedBy(owner) : and(ownedBy(owner), eq(vaultRecords.name, name)))
    .returning({ id: vaultRecords.id });
  return deleted.length;
}

/** Names and change times only: listing never decrypts. */
export async function listRecordNames(db: Database, owner: RecordOwner): Promise<{ name: string; updatedAt: string }[]> {
  const rows = await db
    .select({ name: vaultRecords.name, updatedAt: vaultRecords.updatedAt })
    .from(vaultRecords)
    .where(ownedBy(owner))
    .orderBy(asc(vaultRecords.name));
  return rows.map((row) => ({ name: row.name, updatedAt: row.updatedAt.toISOString() }));
}

export interface SealedValues {
  /** Stable while no value changes (a fresh IV per write changes it): a connection key. */
  fingerprint: string;
  open(): Promise<{ secret: Map<string, string>; user: Map<string, string> }>;
}

/** The records one connection uses: the server's own secrets, and this user's values (if a user). */
export function connectionRecords(serverId: SQLWrapper | string, userId: string | null): SQL | undefined {
  return and(
    eq(vaultRecords.serverId, serverId),
    userId === null ? isNull(vaultRecords.userId) : or(isNull(vaultRecords.userId), eq(vaultRecords.userId, userId)),
  );
}

export interface SealedRecord {
  userId: string | null;
  name: string;
  ciphertext: string;
}

/**
 * The server's secrets and the user's values for one connection, still sealed: a caller that only needs
 * to know whether anything changed never decrypts.
 */
export function sealValues(ring: KeyRing, serverId: string, records: SealedRecord[]): SealedValues {
  const sorted = [...records].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    fingerprint: sorted.map((record) => record.ciphertext).join(","),
    async open() {
      const secret = new Map<string, string>();
      const user = new Map<string, string>();
      for (const record of sorted) {
        const value = await decryptRecord(ring, placeOf({ serverId, userId: record.userId }, record.name), record.ciphertext);
        (record.userId === null ? secret : user).set(record.name, value);
      }
      return { secret, user };
    },
  };
}

export async function sealedValuesFor(db: Database, ring: KeyRing, serverId: string, userId: string | null): Promise<SealedValues> {
  const records = await db
    .select({ userId: vaultRecords.userId, name: vaultRecords.name, ciphertext: vaultRecords.ciphertext })
    .from(vaultRecords)
    .where(connectionRecords(serverId, userId));
  return sealValues(ring, serverId, records);
}
