import { and, asc, eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { isUniqueViolation } from "../db/errors.ts";
import { serverCatalogs, type ServerRow, type ServerTransport, servers } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";

export interface ServerView {
  serverId: string;
  name: string;
  transport: ServerTransport;
  url: string;
  headers: Record<string, string>;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface NewServer {
  serverId: string;
  name?: string | undefined;
  transport: ServerTransport;
  url: string;
  headers: Record<string, string>;
  enabled: boolean;
}

export type ServerPatch = Partial<Omit<NewServer, "serverId">>;

export function toServerView(row: ServerRow): ServerView {
  return {
    serverId: row.serverId,
    name: row.name,
    transport: row.transport,
    url: row.url,
    headers: row.headers,
    enabled: row.enabled,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function createServer(db: Database, input: NewServer): Promise<ServerView> {
  try {
    const [row] = await db
      .insert(servers)
      .values({ ...input, name: input.name ?? input.serverId })
      .returning();
    if (!row) throw new AppError("INTERNAL", "Server was not created");
    return toServerView(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", `A server with serverId "${input.serverId}" already exists`);
    throw error;
  }
}

export async function listServers(db: Database, filter: { serverId?: string | undefined }): Promise<ServerView[]> {
  const rows = await db
    .select()
    .from(servers)
    .where(filter.serverId ? eq(servers.serverId, filter.serverId) : undefined)
    .orderBy(asc(servers.serverId));
  return rows.map(toServerView);
}

/** A changed server may offer different tools, so its cached catalog goes with the change. */
export async function updateServer(db: Database, serverId: string, patch: ServerPatch): Promise<ServerView> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(servers)
      .set({ ...patch, updatedAt: new Date() })
      .where(eq(servers.serverId, serverId))
      .returning();
    if (!row) throw serverNotFound(serverId);
    await tx.delete(serverCatalogs).where(eq(serverCatalogs.serverId, serverId));
    return toServerView(row);
  });
}

export async function deleteServer(db: Database, serverId: string): Promise<void> {
  const deleted = await db.delete(servers).where(eq(servers.serverId, serverId)).returning({ id: servers.serverId });
  if (deleted.length === 0) throw serverNotFound(serverId);
}

function serverNotFound(serverId: string): AppError {
  return new AppError("NOT_FOUND", `No server with serverId "${serverId}"`);
}

export async function isServerEnabled(db: Database, serverId: string): Promise<boolean> {
  const rows = await db
    .select({ serverId: servers.serverId })
    .from(servers)
    .where(and(eq(servers.serverId, serverId), eq(servers.enabled, true)))
    .limit(1);
  return rows.length > 0;
}
