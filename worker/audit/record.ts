import { sha256Hex } from "../auth/crypto.ts";
import { toStorableText } from "../db/storable.ts";

/** One audit record, exactly as stored in Postgres (`audit_records`). */
export interface AuditRecord {
  id: string;
  chainId: string;
  seq: number;
  prevHash: string | null;
  hash: string;
  ts: string;
  userId: string | null;
  role: string | null;
  clientName: string | null;
  clientVersion: string | null;
  sessionId: string | null;
  ip: string | null;
  serverId: string | null;
  method: string;
  name: string | null;
  arguments: unknown;
  decision: "allow" | "deny";
  decisionReason: string | null;
  /** The policy set whose rule decided, if a rule did. */
  policyId: string | null;
  /** That set's version when it decided (policy_set_versions keeps its content). */
  policyVersion: number | null;
  /** The deciding rule's id within the set. */
  ruleId: string | null;
  /** Reserved for human approval: which approval let the call through. */
  approvalId: string | null;
  outcome: "ok" | "error";
  errorCode: number | null;
  errorMessage: string | null;
  latencyMs: number;
  responseBytes: number;
}

/** What the caller describes; id, chain position and hash are added when the record is sealed. */
export type AuditFields = Omit<AuditRecord, "id" | "chainId" | "seq" | "prevHash" | "hash">;

export interface ChainPosition {
  chainId: string;
  seq: number;
  prevHash: string | null;
}

/** The fields every record's hash covers, in a fixed order: everything the first chain format had. */
const HASHED_FIELDS = [
  "id", "chainId", "seq", "prevHash", "ts", "userId", "role", "clientName", "clientVersion", "sessionId", "ip",
  "serverId", "method", "name", "arguments", "decision", "decisionReason", "policyId", "approvalId", "outcome",
  "errorCode", "errorMessage", "latencyMs", "responseBytes",
] as const satisfies readonly (keyof AuditRecord)[];

/**
 * Fields added later, hashed after the others as a pair, and only when either is set (docs/security.md,
 * "Chain format"). A record sealed before they existed, or without a deciding rule, hashes exactly as it
 * always did, so old chains keep verifying; clearing or setting either on a stored record changes its hash.
 */
const DECIDING_RULE_FIELDS = ["policyVersion", "ruleId"] as const satisfies readonly (keyof AuditRecord)[];

/**
 * Canonical JSON: fixed field order, object keys sorted at every depth, no whitespace. The same record
 * read back from Postgres (jsonb reorders keys) hashes to the same value.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** Postgres hands timestamps back in its own format; the hash always sees the ISO form. */
export function auditHash(record: Omit<AuditRecord, "hash">): Promise<string> {
  const normalized = { ...record, ts: new Date(record.ts).toISOString() };
  const hashed: unknown[] = HASHED_FIELDS.map((field) => normalized[field]);
  // `??`: a record sealed before these fields existed has them undefined (outbox JSON), read back as null.
  const decidingRule = DECIDING_RULE_FIELDS.map((field) => normalized[field] ?? null);
  if (decidingRule.some((value) => value !== null)) hashed.push(...decidingRule);
  return sha256Hex(canonicalJson(hashed));
}

export async function sealAuditRecord(fields: AuditFields, chain: ChainPosition, now = Date.now()): Promise<AuditRecord> {
  const unsealed = { ...storable(fields), id: uuidv7(now), chainId: chain.chainId, seq: chain.seq, prevHash: chain.prevHash };
  return { ...unsealed, hash: await auditHash(unsealed) };
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/**
 * What Postgres can store exactly. Text it cannot keep as it is would make the record undeliverable (and
 * with it every later record of its chain) or change it after its hash was taken, so it becomes U+FFFD
 * before sealing; an error code that is no 32-bit integer (a server's own) is not kept.
 */
function storable(fields: AuditFields): AuditFields {
  const code = fields.errorCode;
  const keptCode = code !== null && Number.isInteger(code) && code >= INT32.min && code <= INT32.max ? code : null;
  return { ...(cleanStrings(fields) as AuditFields), errorCode: keptCode };
}

function cleanStrings(value: unknown): unknown {
  if (typeof value === "string") return toStorableText(value);
  if (Array.isArray(value)) return value.map(cleanStrings);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [cleanStrings(key) as string, cleanStrings(inner)]));
}

/** RFC 9562 UUIDv7: 48 bits of Unix milliseconds, then randomness, so ids sort by time. */
export function uuidv7(now = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
