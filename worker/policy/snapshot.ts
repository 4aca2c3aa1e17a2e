import { sql } from "drizzle-orm";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import { rowsOf } from "../db/rows.ts";
import { CAPABILITY_KINDS, type CapabilityKind, type NarrowedServer, type UserRole, type UserStatus } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import type { CapabilitySetting, DangerLevel, GrantSnapshot, PolicySetSnapshot, PolicySnapshot, PolicyUserSnapshot, ServerPolicySnapshot } from "./types.ts";

interface SnapshotRow {
  user: { id: string; role: UserRole; email: string | null; attributes: Record<string, unknown>; status: UserStatus; rateLimitPerMinute: number | null } | null;
  servers: { serverId: string; enabled: boolean; publicAccess: boolean }[];
  capabilities: { serverId: string; kind: CapabilityKind; name: string; enabled: boolean | null; dangerLevel: DangerLevel | null }[];
  grants: { serverId: string; userId: string | null; enabled: boolean; tools: Record<string, boolean> }[];
  narrowings: { clientName: string; servers: Record<string, NarrowedServer> }[];
  policySets: PolicySetSnapshot[];
}

/**
 * Everything the policy needs for one principal, in one round trip: each part is a JSON aggregate of
 * its own sub-select. `scope` is the one server of /mcp/<serverId>, or null for all of them.
 */
/** Who the snapshot is for: any principal, or a user an admin asks about. */
export type PolicySubject = Pick<Principal, "userId" | "role">;

export async function loadPolicySnapshot(db: Database, principal: PolicySubject, scope: string | null): Promise<PolicySnapshot> {
  const userId = principal.userId;
  const inScope = (column: string) => sql`(${scope}::text is null or ${sql.raw(column)} = ${scope})`;
  const result = await db.execute(sql`
    select
      (select jsonb_build_object('id', u.id, 'role', u.role, 'email', u.email, 'attributes', u.attributes,
                                 'status', u.status, 'rateLimitPerMinute', u.rate_limit_per_minute)
         from users u where u.id = ${userId}) as "user",
      (select coalesce(jsonb_agg(jsonb_build_object('serverId', s.server_id, 'enabled', s.enabled, 'publicAccess', s.public_access)), '[]')
         from servers s where ${inScope("s.server_id")}) as servers,
      (select coalesce(jsonb_agg(jsonb_build_object('serverId', c.server_id, 'kind', c.kind, 'name', c.name,
                                                    'enabled', c.enabled, 'dangerLevel', c.danger_level)), '[]')
         from server_capabilities c where ${inScope("c.server_id")}) as capabilities,
      (select coalesce(jsonb_agg(jsonb_build_object('serverId', g.server_id, 'userId', g.user_id, 'enabled', g.enabled, 'tools', g.tools)), '[]')
         from permission_grants g
         where (g.user_id = ${userId} or g.role = ${principal.role}) and ${inScope("g.server_id")}) as grants,
      (select coalesce(jsonb_agg(jsonb_build_object('clientName', n.client_name, 'servers', n.servers)), '[]')
         from user_narrowings n where n.user_id = ${userId}) as narrowings,
      (select coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'serverId', p.server_id, 'version', p.version,
                                                    'timeZone', p.time_zone, 'rules', p.rules) order by p.created_at, p.id), '[]')
         from policy_sets p where p.server_id is null or ${inScope("p.server_id")}) as "policySets"
  `);
  const row = rowsOf(result)[0] as unknown as SnapshotRow | undefined;
  if (!row) throw new AppError("INTERNAL", "The policy snapshot query returned no row");
  return snapshotFromRow(principal, row);
}

function snapshotFromRow(principal: PolicySubject, row: SnapshotRow): PolicySnapshot {
  if (principal.userId !== null && !row.user) throw new AppError("UNAUTHENTICATED", "The caller's user no longer exists");
  const user: PolicyUserSnapshot = row.user ?? { id: null, role: "owner", email: null, attributes: {}, status: "active", rateLimitPerMinute: null };
  const servers: Record<string, ServerPolicySnapshot> = {};
  for (const server of row.servers) {
    const capabilities = Object.fromEntries(CAPABILITY_KINDS.map((kind) => [kind, {}])) as Record<CapabilityKind, Record<string, CapabilitySetting>>;
    servers[server.serverId] = { enabled: server.enabled, publicAccess: server.publicAccess, capabilities, grant: null };
  }
  for (const c of row.capabilities) {
    const server = servers[c.serverId];
    if (server) server.capabilities[c.kind][c.name] = { enabled: c.enabled, dangerLevel: c.dangerLevel };
  }
  // The user's own grant for a server is more specific than their role's, so it wins.
  for (const grant of [...row.grants].sort((a, b) => Number(a.userId !== null) - Number(b.userId !== null))) {
    const server = servers[grant.serverId];
    if (server) server.grant = { enabled: grant.enabled, tools: grant.tools } satisfies GrantSnapshot;
  }
  return {
    user,
    servers,
    narrowings: Object.fromEntries(row.narrowings.map((n) => [n.clientName, n.servers])),
    policySets: row.policySets,
  };
}
