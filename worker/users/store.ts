import { asc, eq } from "drizzle-orm";
import { issueApiKey } from "../auth/api-key.ts";
import type { Database } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { apiKeys, type UserRole, type UserRow, type UserStatus, users } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";

/** What the API shows of a user: never key material. */
export interface UserView {
  userId: string;
  name: string;
  email: string | null;
  role: UserRole;
  status: UserStatus;
  attributes: Record<string, unknown>;
  rateLimitPerMinute: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewUser {
  name: string;
  email?: string | undefined;
  role: UserRole;
  attributes: Record<string, unknown>;
}

export interface UserPatch {
  name?: string | undefined;
  email?: string | null | undefined;
  role?: UserRole | undefined;
  status?: UserStatus | undefined;
  attributes?: Record<string, unknown> | undefined;
  rateLimitPerMinute?: number | null | undefined;
}

export function toUserView(row: UserRow): UserView {
  return {
    userId: row.id,
    name: row.name,
    email: row.email,
    role: row.role,
    status: row.status,
    attributes: row.attributes,
    rateLimitPerMinute: row.rateLimitPerMinute,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** Creates the user and its first API key together: a user never exists without a way in. */
export async function createUser(db: Database, input: NewUser): Promise<{ user: UserView; apiKey: string }> {
  const key = await issueApiKey();
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(users)
        .values({ id: crypto.randomUUID(), name: input.name, email: input.email, role: input.role, attributes: input.attributes })
        .returning();
      if (!row) throw new AppError("INTERNAL", "User was not created");
      await tx.insert(apiKeys).values({ id: key.keyId, userId: row.id, secretHash: key.secretHash });
      return { user: toUserView(row), apiKey: key.apiKey };
    });
  } catch (error) {
    throw conflictOnDuplicateEmail(error, input.email);
  }
}

export async function listUsers(db: Database, filter: { userId?: string | undefined }): Promise<UserView[]> {
  const rows = await db
    .select()
    .from(users)
    .where(filter.userId ? eq(users.id, filter.userId) : undefined)
    .orderBy(asc(users.createdAt), asc(users.id));
  return rows.map(toUserView);
}

/** `forUpdate` locks the row until the transaction ends, so a check of its role holds for the change that follows. */
export async function getUser(db: Database, userId: string, options: { forUpdate?: boolean } = {}): Promise<UserView> {
  const query = db.select().from(users).where(eq(users.id, userId)).limit(1);
  const [row] = options.forUpdate ? await query.for("update") : await query;
  if (!row) throw userNotFound(userId);
  return toUserView(row);
}

export async function updateUser(db: Database, userId: string, patch: UserPatch): Promise<UserView> {
  try {
    const [row] = await db
      .update(users)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(users.id, userId))
      .returning();
    if (!row) throw userNotFound(userId);
    return toUserView(row);
  } catch (error) {
    throw conflictOnDuplicateEmail(error, patch.email ?? undefined);
  }
}

/** Deleting a user deletes its keys (ON DELETE CASCADE), which revokes every token minted from them. */
export async function deleteUser(db: Database, userId: string): Promise<void> {
  const deleted = await db.delete(users).where(eq(users.id, userId)).returning({ id: users.id });
  if (deleted.length === 0) throw userNotFound(userId);
}

/**
 * Replaces every key the user has with a new one, atomically: the old key and its tokens stop working.
 * Returns the new key and the ids of the keys it replaced, whose open sessions must end.
 */
export async function rotateUserKey(db: Database, userId: string): Promise<{ apiKey: string; revokedKeyIds: string[] }> {
  const key = await issueApiKey();
  const revoked = await db.transaction(async (tx) => {
    const [row] = await tx.select({ id: users.id }).from(users).where(eq(users.id, userId)).for("update");
    if (!row) throw userNotFound(userId);
    const removed = await tx.delete(apiKeys).where(eq(apiKeys.userId, userId)).returning({ id: apiKeys.id });
    await tx.insert(apiKeys).values({ id: key.keyId, userId, secretHash: key.secretHash });
    return removed.map((r) => r.id);
  });
  return { apiKey: key.apiKey, revokedKeyIds: revoked };
}

function userNotFound(userId: string): AppError {
  return new AppError("NOT_FOUND", `No user with userId "${userId}"`);
}

function conflictOnDuplicateEmail(error: unknown, email: string | undefined): unknown {
  return isUniqueViolation(error) ? new AppError("CONFLICT", `A user with email "${email}" already exists`) : error;
}
