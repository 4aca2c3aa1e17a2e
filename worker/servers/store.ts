import { asc, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { type ServerRow, type ServerTransport, servers, type UserInput } from "../db/schema.ts";
import { forgetCatalogs } from "../mcp/catalog.ts";
import { AppError } from "../http/errors.ts";
import type { KeyRing } from "../vault/keyring.ts";
import type { StdioTemplate } from "../vault/placeholders.ts";
import { openServerConfig, sealServerConfig } from "../vault/server-config.ts";

/** What the admin API shows of a server: the configuration as entered, placeholders unresolved. */
export interface ServerView {
  serverId: string;
  name: string;
  transport: ServerTransport;
  url: string;
  headers: Record<string, string>;
  /** A stdio server's command, arguments and environment, placeholders unresolved. */
  stdio?: StdioTemplate;
  userInputs: UserInput[];
  enabled: boolean;
  publicAccess: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewServer {
  serverId: string;
  name?: string | undefined;
  transport: ServerTransport;
  url: string;
  headers: Record<string, string>;
  stdio?: StdioTemplate | undefined;
  userInputs: UserInput[];
  enabled: boolean;
  publicAccess: boolean;
}

export type ServerPatch = Partial<Omit<NewServer, "serverId">>;

async function toServerView(ring: KeyRing, row: ServerRow): Promise<ServerView> {
  const { url, headers, stdio } = await openServerConfig(ring, row);
  return {
    serverId: row.serverId,
    name: row.name,
    transport: row.transport,
    url,
    headers,
    ...(stdio ? { stdio } : {}),
    userInputs: row.userInputs,
    enabled: row.enabled,
    publicAccess: row.publicAccess,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function createServer(db: Database, ring: KeyRing, input: NewServer): Promise<ServerView> {
  const { url, headers, stdio, ...rest } = input;
  try {
    const [row] = await db
      .insert(servers)
      .values({ ...rest, name: input.name ?? input.serverId, ...(await sealServerConfig(ring, input.serverId, { url, headers, stdio })) })
      .returning();
    if (!row) throw new AppError("INTERNAL", "Server was not created");
    return toServerView(ring, row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", `A server with serverId "${input.serverId}" already exists`);
    throw error;
  }
}

export async function listServers(db: Database, ring: KeyRing, filter: { serverId?: string | undefined }): Promise<ServerView[]> {
  const rows = await db
    .select()
    .from(servers)
    .where(filter.serverId ? eq(servers.serverId, filter.serverId) : undefined)
    .orderBy(asc(servers.serverId));
  return Promise.all(rows.map((row) => toServerView(ring, row)));
}

/**
 * A changed server may offer different tools, so its cached catalog goes with the change. Changing the
 * URL, headers or stdio settings re-seals the whole configuration (the rest is read back first).
 */
export async function updateServer(db: Database, ring: KeyRing, serverId: string, patch: ServerPatch): Promise<ServerView> {
  const { url, headers, stdio, ...rest } = patch;
  return db.transaction(async (tx) => {
    const [current] = await tx.select().from(servers).where(eq(servers.serverId, serverId)).for("update");
    if (!current) throw serverNotFound(serverId);
    const sealed =
      url === undefined && headers === undefined && stdio === undefined
        ? {}
        : await reseal(ring, current, { url, headers, stdio });
    const [row] = await tx
      .update(servers)
      .set({ ...rest, ...sealed, updatedAt: new Date() })
      .where(eq(servers.serverId, serverId))
      .returning();
    await forgetCatalogs(tx, serverId);
    return toServerView(ring, row!);
  });
}

async function reseal(ring: KeyRing, current: ServerRow, change: Pick<ServerPatch, "url" | "headers" | "stdio">) {
  const previous = await openServerConfig(ring, current);
  const sealed = await sealServerConfig(ring, current.serverId, {
    url: change.url ?? previous.url,
    headers: change.headers ?? previous.headers,
    stdio: change.stdio ?? previous.stdio,
  });
  return { ...sealed, url: null, headers: null };
}

export async function deleteServer(db: Database, serverId: string): Promise<void> {
  const deleted = await db.delete(servers).where(eq(servers.serverId, serverId)).returning({ id: servers.serverId });
  if (deleted.length === 0) throw serverNotFound(serverId);
}

/**
 * A stdio server's row with its command and environment, or nothing for any other server. Only a stdio
 * server's configuration is decrypted, so a remote server whose envelope no longer opens can still be deleted.
 */
export async function stdioServerOf(db: Database, ring: KeyRing, serverId: string): Promise<{ row: ServerRow; stdio: StdioTemplate } | undefined> {
  const [row] = await db.select().from(servers).where(eq(servers.serverId, serverId)).limit(1);
  if (row?.transport !== "stdio") return undefined;
  const { stdio } = await openServerConfig(ring, row);
  return stdio ? { row, stdio } : undefined;
}

export async function requireServer(db: Database, serverId: string): Promise<ServerRow> {
  const [row] = await db.select().from(servers).where(eq(servers.serverId, serverId)).limit(1);
  if (!row) throw serverNotFound(serverId);
  return row;
}

export function serverNotFound(serverId: string): AppError {
  return new AppError("NOT_FOUND", `No server with serverId "${serverId}"`);
}
