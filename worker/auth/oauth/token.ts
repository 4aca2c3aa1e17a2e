import { Hono } from "hono";
import { z } from "zod";
import type { HonoEnv } from "../../http/context.ts";
import { ACCESS_TOKEN_TTL_SECONDS, mintAccessToken } from "../access-token.ts";
import { issuerOf } from "../token-audience.ts";
import { OAuthError, oauthEndpoint } from "./errors.ts";
import { readForm } from "./form.ts";
import { type Redeemed, redeemCode, redeemRefreshToken } from "./redeem.ts";
import { requestedResource } from "./resource.ts";
import { refuseOffListAddress } from "./user-address.ts";

const resource = z.string().optional().describe("RFC 8707: the resource the token is for; must be the consented one");
const clientId = z.string().min(1).max(2048).describe("The public client's id (no secret: every client is public)");

const tokenRequestSchema = z.discriminatedUnion("grant_type", [
  z.object({
    grant_type: z.literal("authorization_code").describe("Redeem an authorization code"),
    code: z.string().min(1).max(200).describe("The code from the authorization response"),
    redirect_uri: z.string().min(1).max(2048).describe("The redirect_uri of the authorization request, exactly"),
    code_verifier: z.string().min(1).max(200).describe("The PKCE verifier of the code_challenge"),
    client_id: clientId,
    resource,
  }),
  z.object({
    grant_type: z.literal("refresh_token").describe("Rotate a refresh token"),
    refresh_token: z.string().min(1).max(200).describe("The refresh token last issued"),
    client_id: clientId,
    resource,
  }),
]);

/** `POST /token`: authorization_code (PKCE S256) and refresh_token (rotated, reuse revokes the family). */
export const tokenEndpoint = new Hono<HonoEnv>().post("/", (c) =>
  oauthEndpoint(async () => {
    const form = await readForm(c.req.raw);
    if (form.grant_type !== "authorization_code" && form.grant_type !== "refresh_token") {
      throw new OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token");
    }
    const parsed = tokenRequestSchema.safeParse(form);
    if (!parsed.success) {
      throw new OAuthError("invalid_request", parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "));
    }
    const request = parsed.data;
    const issuer = issuerOf(c.env, c.req.url);
    const asked = request.resource === undefined ? null : requestedResource(issuer, request.resource);
    const db = c.get("db")();
    const ip = c.req.header("cf-connecting-ip") ?? null;
    const admit = (userId: string) => refuseOffListAddress(c, userId);
    const redeemed: Redeemed =
      request.grant_type === "authorization_code"
        ? await redeemCode(c.env, db, { code: request.code, clientId: request.client_id, redirectUri: request.redirect_uri, codeVerifier: request.code_verifier, resource: asked }, ip, admit)
        : await redeemRefreshToken(c.env, db, request.refresh_token, request.client_id, asked, ip, admit);
    const { grant } = redeemed;
    const accessToken = await mintAccessToken(c.env.JWT_SIGNING_KEY, { issuer, audience: grant.resource }, grant);
    c.header("Cache-Control", "no-store");
    return c.json({ access_token: accessToken, token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL_SECONDS, refresh_token: redeemed.refreshToken });
  }),
);
