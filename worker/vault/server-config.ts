import type { ConnectionTemplate } from "./placeholders.ts";
import { decryptRecord, encryptRecord, type RecordPlace } from "./envelope.ts";
import type { KeyRing } from "./keyring.ts";

function placeOf(serverId: string): RecordPlace {
  return { kind: "server-config", owner: serverId, name: "config" };
}

/** A server's URL and headers as one vault envelope: placeholders and any literal credential alike. */
export async function sealServerConfig(ring: KeyRing, serverId: string, config: ConnectionTemplate): Promise<{ config: string; configKeyId: string }> {
  return { config: await encryptRecord(ring, placeOf(serverId), JSON.stringify(config)), configKeyId: ring.activeKeyId };
}

export interface StoredServerConfig {
  serverId: string;
  config: string | null;
  url: string | null;
  headers: Record<string, string> | null;
}

/** Opens a server's configuration; rows from before the vault still carry it in plaintext columns. */
export async function openServerConfig(ring: KeyRing, row: StoredServerConfig): Promise<ConnectionTemplate> {
  if (row.config === null) return { url: row.url ?? "", headers: row.headers ?? {} };
  return JSON.parse(await decryptRecord(ring, placeOf(row.serverId), row.config)) as ConnectionTemplate;
}
