import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { type OAuthClientRow, oauthClients } from "../../db/schema.ts";
import type { AppEnv } from "../../env.ts";
import { AppError } from "../../http/errors.ts";
import { readBodyText } from "../../http/json-body.ts";
import { parseClientMetadata } from "./client-metadata.ts";
import { OAuthError } from "./errors.ts";
import { type FetchPolicy, fetchTargetProblem } from "./ssrf-guard.ts";

/** A metadata document is a few hundred bytes; anything much larger is not one. */
export const CIMD_MAX_BYTES = 16 * 1024;
export const CIMD_TIMEOUT_MS = 5_000;
/** How long a fetched document is trusted before it is fetched again (its redirect URIs may change). */
export const CIMD_CACHE_SECONDS = 3_600;

/** A client_id that is a URL names a Client ID Metadata Document rather than a registration. */
export function isMetadataDocumentId(clientId: string): boolean {
  return /^https?:\/\//i.test(clientId);
}

export function fetchPolicy(env: AppEnv): FetchPolicy {
  return { allowLoopback: env.OAUTH_ALLOW_LOOPBACK_CLIENTS === "true" };
}

/** The client a metadata document describes: from the cache while it is fresh, else fetched and cached. */
export async function metadataDocumentClient(db: Database, env: AppEnv, clientId: string): Promise<OAuthClientRow> {
  const [cached] = await db.select().from(oauthClients).where(eq(oauthClients.clientId, clientId)).limit(1);
  if (cached && Date.now() - cached.fetchedAt.getTime() < CIMD_CACHE_SECONDS * 1000) return cached;

  const metadata = parseClientMetadata(await fetchDocument(clientId, fetchPolicy(env)));
  const row = { clientId, kind: "cimd" as const, ...metadata, fetchedAt: new Date() };
  const [stored] = await db
    .insert(oauthClients)
    .values(row)
    .onConflictDoUpdate({ target: oauthClients.clientId, set: { clientName: row.clientName, clientUri: row.clientUri, redirectUris: row.redirectUris, fetchedAt: row.fetchedAt } })
    .returning();
  if (!stored) throw new AppError("INTERNAL", "The client metadata document could not be cached");
  return stored;
}

async function fetchDocument(url: string, policy: FetchPolicy): Promise<unknown> {
  const refuse = (why: string) => new OAuthError("invalid_client", `Client metadata document ${url}: ${why}`);
  const problem = fetchTargetProblem(url, policy);
  if (problem) throw refuse(problem);
  if (new URL(url).pathname === "/") throw refuse("must have a path");

  let response: Response;
  try {
    // A redirect could lead anywhere, past the guard; a document must be served at its own URL.
    response = await fetch(url, { redirect: "manual", headers: { accept: "application/json" }, signal: AbortSignal.timeout(CIMD_TIMEOUT_MS) });
  } catch (error) {
    throw refuse(error instanceof Error && error.name === "TimeoutError" ? `no answer within ${CIMD_TIMEOUT_MS} ms` : "could not be fetched");
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw refuse(`answered HTTP ${response.status}, not 200`);
  }
  let text: string;
  try {
    text = await readBodyText(response, CIMD_MAX_BYTES);
  } catch (error) {
    throw error instanceof AppError && error.kind === "PAYLOAD_TOO_LARGE" ? refuse(`is larger than ${CIMD_MAX_BYTES} bytes`) : refuse("could not be read");
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw refuse("is not JSON");
  }
  const declared = typeof document === "object" && document !== null && "client_id" in document ? document.client_id : undefined;
  // Otherwise any page could claim to be any client.
  if (declared !== url) throw refuse("its client_id is not its own URL");
  return document;
}
