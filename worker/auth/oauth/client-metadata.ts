import { z } from "zod";
import { unstorableInput } from "../../http/storable-input.ts";
import { OAuthError } from "./errors.ts";
import { redirectUriProblem } from "./redirect-uri.ts";

const GRANT_TYPES = ["authorization_code", "refresh_token"] as const;

/**
 * RFC 7591 client metadata, as sent to /register or published as a Client ID Metadata Document. Members we
 * do not use (logo_uri, contacts, …) are ignored, as RFC 7591 §2 asks; the ones we use are checked.
 */
export const clientMetadataSchema = z.object({
  client_id: z.string().max(2048).optional().describe("In a metadata document: its own URL, exactly"),
  redirect_uris: z.array(z.string().max(2048)).min(1).max(20).describe("Where the authorization response may be sent; matched exactly"),
  client_name: z.string().trim().min(1).max(120).optional().describe("Shown to the user on the consent page"),
  client_uri: z.string().max(2048).optional().describe("The client's home page"),
  grant_types: z.array(z.string()).optional().describe("authorization_code and/or refresh_token"),
  response_types: z.array(z.string()).optional().describe("Only code"),
  token_endpoint_auth_method: z.string().optional().describe("Every client here is public: none"),
  scope: z.string().max(1000).optional().describe("Ignored: access is decided by the gateway's own policies"),
});

export interface ClientMetadata {
  clientName: string | null;
  clientUri: string | null;
  redirectUris: string[];
}

/** Registered metadata and fetched documents alike: what is stored is first checked to be storable. */
export function parseClientMetadata(raw: unknown): ClientMetadata {
  const unstorable = unstorableInput(raw, "body");
  if (unstorable) throw new OAuthError("invalid_client_metadata", `Invalid client metadata: ${unstorable}`);
  const parsed = clientMetadataSchema.safeParse(raw);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ");
    throw new OAuthError("invalid_client_metadata", `Invalid client metadata: ${detail}`);
  }
  const metadata = parsed.data;
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new OAuthError("invalid_redirect_uri", `Invalid redirect_uris: ${problem}`);
  }
  const unsupported = (metadata.grant_types ?? []).filter((type) => !(GRANT_TYPES as readonly string[]).includes(type));
  if (unsupported.length > 0) throw new OAuthError("invalid_client_metadata", `Unsupported grant_types: ${unsupported.join(", ")}`);
  if (metadata.response_types && metadata.response_types.some((type) => type !== "code")) {
    throw new OAuthError("invalid_client_metadata", "Unsupported response_types: only code");
  }
  return { clientName: metadata.client_name ?? null, clientUri: metadata.client_uri ?? null, redirectUris: metadata.redirect_uris };
}
