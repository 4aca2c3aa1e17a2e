import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { type ServerRow, servers } from "../db/schema.ts";
import type { AppEnv } from "../env.ts";
import { loadKeyRing, type KeyRing } from "./keyring.ts";
import { type ConnectionTemplate, type Resolution, resolvePlaceholders } from "./placeholders.ts";
import { sealedValuesFor, type SealedValues } from "./records.ts";
import { Redactor } from "./redactor.ts";
import { openServerConfig } from "./server-config.ts";

/**
 * A server's connection template with one user's vault values put in: what a session's connection and a
 * stdio launch send, and what the scrubber of either must hide. User inputs declared optional resolve
 * to "" when unset; any other missing value is in `missing`.
 */
export async function resolveConnection(ring: KeyRing, row: ServerRow, sealed: SealedValues): Promise<{ template: ConnectionTemplate; resolution: Resolution }> {
  const template = await openServerConfig(ring, row);
  const optional = new Set(row.userInputs.filter((input) => !input.required).map((input) => input.name));
  return { template, resolution: resolvePlaceholders(template, await sealed.open(), optional) };
}

/**
 * The scrubber of what a connection of `userId` to the server injects, for text kept or shown outside
 * the session that holds such a connection (an approver's edited arguments). A server that is gone
 * injects nothing.
 */
export async function connectionRedactor(env: AppEnv, db: Database, serverId: string, userId: string | null): Promise<Redactor> {
  const [row] = await db.select().from(servers).where(eq(servers.serverId, serverId)).limit(1);
  if (!row) return new Redactor({});
  const ring = await loadKeyRing(env.VAULT_KEYS);
  const { resolution } = await resolveConnection(ring, row, await sealedValuesFor(db, ring, serverId, userId));
  return new Redactor(resolution.injected);
}
