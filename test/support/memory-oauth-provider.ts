// An in-memory OAuthClientProvider for the official SDK's auth(), shared by the tests in workerd and in Node.
import type { OAuthClientProvider } from "@modelcontextprotocol/sdk/client/auth.js";
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from "@modelcontextprotocol/sdk/shared/auth.js";

/** Where the tests' clients say they are redirected to; nothing listens there unless a test starts it. */
export const REDIRECT_URI = "http://127.0.0.1:33418/oauth/callback";

export class MemoryProvider implements OAuthClientProvider {
  client: OAuthClientInformationMixed | undefined;
  saved: OAuthTokens | undefined;
  verifier = "";
  authorizationUrl: URL | undefined;
  readonly clientMetadata: OAuthClientMetadata;

  /** A client known by its metadata document URL starts with that id; a DCR client registers on first use. */
  constructor(options: { clientId?: string; name?: string; redirectUrl?: string } = {}) {
    this.client = options.clientId ? { client_id: options.clientId } : undefined;
    this.redirectUrl = options.redirectUrl ?? REDIRECT_URI;
    this.clientMetadata = { client_name: options.name ?? "DCR test client", redirect_uris: [this.redirectUrl], token_endpoint_auth_method: "none" };
  }

  readonly redirectUrl: string;
  state = () => "state-" + crypto.randomUUID();
  clientInformation = () => this.client;
  saveClientInformation = (info: OAuthClientInformationMixed) => void (this.client = info);
  tokens = () => this.saved;
  saveTokens = (tokens: OAuthTokens) => void (this.saved = tokens);
  redirectToAuthorization = (url: URL) => void (this.authorizationUrl = url);
  saveCodeVerifier = (verifier: string) => void (this.verifier = verifier);
  codeVerifier = () => this.verifier;
}
