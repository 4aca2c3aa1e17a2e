import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type OAuthClientRow, oauthClients } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { isMetadataDocumentId, metadataDocumentClient } from "./cimd.ts";
import { OAuthError } from "./errors.ts";

/** The client a client_id names: a metadata document (fetched, cached) or a client registered at /register. */
export async function findClient(db: Database, env: AppEnv, clientId: string): Promise<OAuthClientRow> {
  if (isMetadataDocumentId(clientId)) return metadataDocumentClient(db, env, clientId);
  const [row] = await db
    .select()
    .from(oauthClients)
    .where(and(eq(oauthClients.clientId, clientId), eq(oauthClients.kind, "dcr")))
    .limit(1);
  if (!row) throw new OAuthError("invalid_client", "Unknown client_id: register at /register or use a client metadata document URL");
  return row;
}

/** How the consent page and the consent list name a client: a document's host is verified, a registered name is not. */
export function clientDisplay(client: Pick<OAuthClientRow, "clientId" | "kind" | "clientName">): { name: string; host: string | null; verified: boolean } {
  if (client.kind === "cimd") {
    const host = new URL(client.clientId).host;
    return { name: client.clientName ?? host, host, verified: true };
  }
  return { name: client.clientName ?? "Unnamed client", host: null, verified: false };
}
