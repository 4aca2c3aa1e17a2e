import { and, desc, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { defineAction } from "../admin/action.ts";
import { clientDisplay } from "../auth/oauth/clients.ts";
import { revokeGrantRow } from "../auth/oauth/grants.ts";
import { oauthClients, oauthGrants } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { userIdOf } from "./user-id.ts";
import { pushUserChange } from "../users/live-sessions.ts";

/** The OAuth clients a user let in: each consent is a grant, listed until revoked. */
export const consentActions = [
  defineAction({
    code: 1201,
    name: "LIST_MY_CONSENTS",
    summary: "Lists the OAuth clients you authorized (Claude, ChatGPT, …) that still hold access, newest first.",
    returns: "`{consents: [{grantId, clientId, clientName, clientHost, verified, resource, createdAt, lastUsedAt}]}` (clientHost: the host of a metadata-document client; verified: false for a self-registered name)",
    input: z.strictObject({}),
    async run({ db, principal }) {
      const rows = await db
        .select({
          grantId: oauthGrants.id,
          resource: oauthGrants.resource,
          createdAt: oauthGrants.createdAt,
          lastUsedAt: oauthGrants.lastUsedAt,
          clientId: oauthClients.clientId,
          kind: oauthClients.kind,
          clientName: oauthClients.clientName,
        })
        .from(oauthGrants)
        .innerJoin(oauthClients, eq(oauthClients.clientId, oauthGrants.clientId))
        .where(and(eq(oauthGrants.userId, userIdOf(principal)), isNull(oauthGrants.revokedAt)))
        .orderBy(desc(oauthGrants.createdAt));
      return {
        consents: rows.map((row) => {
          const display = clientDisplay(row);
          return {
            grantId: row.grantId,
            clientId: row.clientId,
            clientName: display.name,
            clientHost: display.host,
            verified: display.verified,
            resource: row.resource,
            createdAt: row.createdAt.toISOString(),
            lastUsedAt: row.lastUsedAt.toISOString(),
          };
        }),
      };
    },
  }),
  defineAction({
    code: 1202,
    name: "REVOKE_MY_CONSENT",
    mutates: true,
    summary: "Revokes one consent: the client's refresh tokens stop at once, its access tokens on their next request.",
    returns: "`{grantId, revoked: true}`",
    input: z.strictObject({ grantId: z.string().min(1).max(64).describe("A grantId from LIST_MY_CONSENTS") }),
    async run({ db, principal, env, afterCommit }, data) {
      const userId = userIdOf(principal);
      if (!(await revokeGrantRow(db, data.grantId, "revoked by the user", userId))) {
        throw new AppError("NOT_FOUND", `No active consent ${data.grantId}`);
      }
      afterCommit(() => pushUserChange(env, userId, { kind: "grant-revoked", grantId: data.grantId }));
      return { grantId: data.grantId, revoked: true };
    },
  }),
];
