import { sql } from "drizzle-orm";
import { boolean, check, index, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

export const USER_ROLES = ["owner", "admin", "user"] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const USER_STATUSES = ["active", "disabled"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const SERVER_TRANSPORTS = ["streamable-http", "sse"] as const;
export type ServerTransport = (typeof SERVER_TRANSPORTS)[number];

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

export const users = pgTable("users", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  email: text("email").unique(),
  role: text("role", { enum: USER_ROLES }).notNull().default("user"),
  status: text("status", { enum: USER_STATUSES }).notNull().default("active"),
  attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  ...timestamps,
}, (table) => [
  check("users_role_check", sql`${table.role} in ('owner', 'admin', 'user')`),
  check("users_status_check", sql`${table.status} in ('active', 'disabled')`),
]);

/**
 * A user's API key is `pk_<id>_<secret>`. Only the SHA-256 of the secret is kept: the id finds the row
 * without a secret-dependent index lookup, and the hash is then compared in constant time.
 */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    secretHash: text("secret_hash").notNull(),
    createdAt: timestamps.createdAt,
  },
  (table) => [index("api_keys_user_id_idx").on(table.userId)],
);

export const servers = pgTable("servers", {
  serverId: text("server_id").primaryKey(),
  name: text("name").notNull(),
  transport: text("transport", { enum: SERVER_TRANSPORTS }).notNull(),
  url: text("url").notNull(),
  headers: jsonb("headers").$type<Record<string, string>>().notNull().default(sql`'{}'::jsonb`),
  enabled: boolean("enabled").notNull().default(true),
  ...timestamps,
}, (table) => [
  check("servers_server_id_check", sql`${table.serverId} ~ '^[a-z0-9][a-z0-9-]{0,31}$'`),
  check("servers_transport_check", sql`${table.transport} in ('streamable-http', 'sse')`),
]);

export type UserRow = typeof users.$inferSelect;
export type ServerRow = typeof servers.$inferSelect;

/** What a downstream server offers, as last fetched: shared by every session so a new one need not fan out. */
export interface ServerCatalogData {
  serverInfo: Record<string, unknown>;
  instructions?: string;
  capabilities: Record<string, unknown>;
  tools: Record<string, unknown>[];
  prompts: Record<string, unknown>[];
  resources: Record<string, unknown>[];
  resourceTemplates: Record<string, unknown>[];
}

export const serverCatalogs = pgTable("server_catalogs", {
  serverId: text("server_id")
    .primaryKey()
    .references(() => servers.serverId, { onDelete: "cascade" }),
  catalog: jsonb("catalog").$type<ServerCatalogData>().notNull(),
  fetchedAt: timestamp("fetched_at", { withTimezone: true }).notNull().defaultNow(),
});
