import { Hono } from "hono";
import { z } from "zod";
import type { AppContext, HonoEnv } from "../../http/context.ts";
import { readMcpConfig } from "../../mcp/config.ts";
import { refuseOrigin } from "../../mcp/origin.ts";
import { authenticateApiKey } from "../authenticate.ts";
import { issuerOf } from "../token-audience.ts";
import { findClient } from "./clients.ts";
import { activeUser, clientView, showConsent } from "./consent.ts";
import { OAuthError } from "./errors.ts";
import { readForm, singleValues } from "./form.ts";
import { grantConsent } from "./grants.ts";
import { PAGE_HEADERS, signInPage } from "./pages.ts";
import { CODE_CHALLENGE_PATTERN } from "./pkce.ts";
import { redirectUriMatches } from "./redirect-uri.ts";
import { requestedResource } from "./resource.ts";
import { onPage, redirectBack } from "./responses.ts";
import { startUpstreamSignIn } from "./upstream-sign-in.ts";
import { refuseOffListAddress } from "./user-address.ts";
import { oidcConfig } from "./upstream-oidc.ts";
import { type AuthorizationRequest, readTicket, signTicket, spendTicket } from "./ticket.ts";

const authorizeQuerySchema = z.object({
  response_type: z.string().optional().describe("Must be code"),
  client_id: z.string().min(1, "client_id is required").max(2048).describe("A registered id, or a metadata document URL"),
  redirect_uri: z.string().max(2048).optional().describe("One of the client's redirect URIs, exactly"),
  code_challenge: z.string().optional().describe("PKCE: base64url SHA-256 of the verifier"),
  code_challenge_method: z.string().optional().describe("Must be S256"),
  state: z.string().max(2048).optional().describe("Returned unchanged in the response"),
  scope: z.string().max(1000).optional().describe("Recorded; access is decided by the gateway's policies"),
  resource: z.string().max(2048).optional().describe("RFC 8707: <issuer>/mcp or <issuer>/mcp/<serverId>"),
});

const consentFormSchema = z.object({
  ticket: z.string().min(1).max(8192).describe("The signed request the previous page carried"),
  step: z.enum(["sign-in", "upstream", "approve", "deny"]).describe("What the user did (upstream: sign in with the OIDC provider)"),
  api_key: z.string().max(200).optional().describe("On sign-in: the user's API key"),
});

/**
 * `/authorize`: GET checks the request and shows the sign-in page; POST signs in, then consents or denies.
 * Until the client and its redirect URI are known to belong together, problems are shown on a page, never
 * redirected (RFC 6749 §4.1.2.1): otherwise anyone could bounce users to any address through the gateway.
 */
export const authorizeEndpoint = new Hono<HonoEnv>()
  .get("/", (c) =>
    onPage(c, async () => {
      const query = authorizeQuerySchema.safeParse(singleValues(new URL(c.req.url).searchParams));
      if (!query.success) throw new OAuthError("invalid_request", query.error.issues.map((issue) => issue.message).join("; "));
      const params = query.data;
      const db = c.get("db")();
      const client = await findClient(db, c.env, params.client_id);
      const redirectUri = params.redirect_uri ?? (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined);
      if (!redirectUri || !redirectUriMatches(client.redirectUris, redirectUri)) {
        throw new OAuthError("invalid_request", "redirect_uri is missing or is not one this client registered");
      }
      const issuer = issuerOf(c.env, c.req.url);
      const back = (error: string, description: string) => redirectBack(redirectUri, issuer, { error, error_description: description, state: params.state });
      if (params.response_type !== "code") return back("unsupported_response_type", "response_type must be code");
      if (params.code_challenge_method !== "S256") return back("invalid_request", "PKCE with code_challenge_method=S256 is required");
      if (!params.code_challenge || !CODE_CHALLENGE_PATTERN.test(params.code_challenge)) return back("invalid_request", "code_challenge must be a base64url SHA-256");
      let resource: string;
      try {
        resource = requestedResource(issuer, params.resource);
      } catch (error) {
        if (error instanceof OAuthError) return back(error.error, error.message);
        throw error;
      }
      const request: AuthorizationRequest = {
        clientId: client.clientId,
        redirectUri,
        codeChallenge: params.code_challenge,
        resource,
        state: params.state ?? null,
        scope: params.scope ?? null,
      };
      const ticket = await signTicket(c.env.JWT_SIGNING_KEY, issuer, request, { subject: null });
      return c.html(signInPage({ ticket, client: clientView(client), upstream: oidcConfig(c.env)?.displayName ?? null }), 200, PAGE_HEADERS);
    }),
  )
  .post("/", (c) =>
    onPage(c, async () => {
      refuseForeignForm(c);
      const form = consentFormSchema.safeParse(await readForm(c.req.raw));
      if (!form.success) throw new OAuthError("invalid_request", "The form is incomplete: start again from your client");
      const issuer = issuerOf(c.env, c.req.url);
      const ticket = await readTicket(c.env.JWT_SIGNING_KEY, issuer, form.data.ticket);
      const { request, subject: userId, keyId } = ticket;
      const db = c.get("db")();
      const client = await findClient(db, c.env, request.clientId);
      if (form.data.step === "upstream") return startUpstreamSignIn(c, issuer, request);

      if (form.data.step === "sign-in") {
        const principal = await authenticateApiKey(db, form.data.api_key ?? "");
        if (!principal) {
          const page = signInPage({ ticket: form.data.ticket, client: clientView(client), upstream: oidcConfig(c.env)?.displayName ?? null, error: "That API key is not valid, or its user is disabled." });
          return c.html(page, 401, PAGE_HEADERS);
        }
        return showConsent(c, db, issuer, request, client, { subject: principal.userId, keyId: principal.keyId });
      }

      if (userId === null) throw new OAuthError("invalid_request", "Sign in first");
      const back = (params: Record<string, string | null>) => redirectBack(request.redirectUri, issuer, { ...params, state: request.state });
      if (form.data.step === "deny") {
        await spendTicket(db, ticket);
        return back({ error: "access_denied", error_description: "The user denied the request" });
      }
      const user = await activeUser(db, userId);
      if (!user) throw new OAuthError("access_denied", "Your user is disabled");
      await refuseOffListAddress(c, userId);
      const code = await grantConsent(db, ticket, { userId, role: user.role, apiKeyId: keyId }, c.req.header("cf-connecting-ip") ?? null);
      return back({ code });
    }),
  );

/**
 * The pages' forms are posted only from the pages themselves: a browser sends their Origin (the pages'
 * Referrer-Policy keeps it from being "null"), so another site's form, or a sandboxed frame's, is refused
 * before its ticket is even read. A request without Origin comes from no browser, and so from no CSRF.
 */
function refuseForeignForm(c: AppContext): void {
  const why = refuseOrigin(
    { url: c.req.url, host: c.req.header("host") ?? null, origin: c.req.header("origin") ?? null },
    { allowedOrigins: [], allowedHosts: readMcpConfig(c.env).allowedHosts, publicUrl: c.env.PUBLIC_URL },
  );
  if (why) throw new OAuthError("access_denied", `This form was sent from another site, not from this gateway's own page (${why})`, "FORBIDDEN");
}
