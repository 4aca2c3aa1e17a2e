import { and, eq, isNotNull } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { errorText } from "../db/errors.ts";
import { type ServerRow, vaultRecords } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { AppError } from "../http/errors.ts";
import { logEvent } from "../observability/log.ts";
import type { KeyRing } from "../vault/keyring.ts";
import { resolveConnection } from "../vault/connection-values.ts";
import type { StdioTemplate } from "../vault/placeholders.ts";
import { sealedValuesFor } from "../vault/records.ts";
import { openServerConfig } from "../vault/server-config.ts";
import { requireServer } from "./store.ts";
import { stdioLaunch } from "./stdio-connector.ts";
import { instanceName, type StdioLaunch, usesUserValues } from "./stdio-definition.ts";
import { type InstanceStatus, stdioRuntime } from "./stdio-runtime.ts";

/**
 * The instances a stdio server may have: one shared, or one per user who has values for it (and one
 * for the owner key). A per-user instance is named by its user, so they are found through the vault.
 */
export async function instancesOf(db: Database, serverId: string, stdio: StdioTemplate): Promise<{ instance: string; userId: string | null }[]> {
  if (!usesUserValues(stdio)) return [{ instance: instanceName(serverId, stdio, null), userId: null }];
  const users = await db
    .selectDistinct({ userId: vaultRecords.userId })
    .from(vaultRecords)
    .where(and(eq(vaultRecords.serverId, serverId), isNotNull(vaultRecords.userId)));
  const userIds = [null, ...users.map((row) => row.userId)];
  return userIds.map((userId) => ({ instance: instanceName(serverId, stdio, userId), userId }));
}

/** Stops every instance of a server (deleted or reconfigured); one that cannot be reached is logged, not fatal. */
export async function stopServerInstances(db: Database, env: AppEnv, serverId: string, stdio: StdioTemplate): Promise<void> {
  const runtime = stdioRuntime(env);
  for (const { instance } of await instancesOf(db, serverId, stdio)) {
    await runtime.stop(instance).catch((error: unknown) => logEvent("stdio.stop_failed", { serverId, instance, error: errorText(error) }, "warn"));
  }
}

/**
 * Retires the instances of a deleted server (listed before the delete: a per-user server's are found
 * through vault records that go with it), all at once; one that cannot be reached is logged, not fatal.
 */
export async function retireServerInstances(env: AppEnv, serverId: string, instances: string[], generation: number): Promise<void> {
  const runtime = stdioRuntime(env);
  await Promise.all(
    instances.map((instance) =>
      runtime.retire(instance, generation).catch((error: unknown) => logEvent("stdio.retire_failed", { serverId, instance, error: errorText(error) }, "error")),
    ),
  );
}

export async function instanceStatuses(db: Database, env: AppEnv, serverId: string, stdio: StdioTemplate): Promise<(InstanceStatus & { userId: string | null })[]> {
  const runtime = stdioRuntime(env);
  return Promise.all((await instancesOf(db, serverId, stdio)).map(async ({ instance, userId }) => ({ ...(await runtime.status(instance)), userId })));
}

/** A server's stdio instances with their state, or null for a remote server (its connections are per session). */
export async function stdioInstancesOf(db: Database, vault: () => Promise<KeyRing>, env: AppEnv, serverId: string): Promise<(InstanceStatus & { userId: string | null })[] | null> {
  const row = await requireServer(db, serverId);
  if (row.transport !== "stdio") return null;
  const { stdio } = await openServerConfig(await vault(), row);
  return stdio ? instanceStatuses(db, env, serverId, stdio) : null;
}

/** The launch of the instance serving `userId`, with its values read from the vault (for START_SERVER). */
export async function launchFor(db: Database, ring: KeyRing, row: ServerRow, userId: string | null): Promise<StdioLaunch> {
  const { template, resolution } = await resolveConnection(ring, row, await sealedValuesFor(db, ring, row.serverId, userId));
  if (resolution.missing.length > 0) {
    const names = resolution.missing.map((m) => `{{${m.kind}:${m.name}}}`).join(", ");
    throw new AppError("CONFLICT", `Server "${row.serverId}" cannot start${userId ? ` for user ${userId}` : ""}: ${names} not set`);
  }
  return stdioLaunch(row, template, resolution.config, userId);
}
