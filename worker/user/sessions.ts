import { z } from "zod";
import { defineAction } from "../admin/action.ts";
import { AppError } from "../http/errors.ts";
import { userIdOf } from "./user-id.ts";

/** A user's own open MCP sessions, listed and ended from their Desk page (or any script with their key). */
export const sessionActions = [
  defineAction({
    code: 1204,
    name: "LIST_MY_SESSIONS",
    summary: "Lists your open MCP sessions, oldest first: the client that opened each and when.",
    returns: "`{sessions: [{sessionId, clientName, openedAt, keyId, oauthClient}]}` (keyId: the API key behind it, never the secret; oauthClient: opened by an app you authorized)",
    input: z.strictObject({}),
    async run({ principal, env }) {
      return { sessions: await env.DESK.getByName(userIdOf(principal)).sessions() };
    },
  }),
  defineAction({
    code: 1205,
    name: "END_MY_SESSION",
    mutates: true,
    summary: "Ends one of your open MCP sessions, as its client's DELETE would: its next request gets 404 (session not found), and a new session must be opened.",
    returns: "`{sessionId, ended: true}`",
    input: z.strictObject({ sessionId: z.string().min(1).max(200).describe("A sessionId from LIST_MY_SESSIONS (the Mcp-Session-Id)") }),
    async run({ principal, env }, data) {
      if (!(await env.DESK.getByName(userIdOf(principal)).endSession(data.sessionId))) throw new AppError("NOT_FOUND", `No open session ${data.sessionId} of yours`);
      return { sessionId: data.sessionId, ended: true };
    },
  }),
];
