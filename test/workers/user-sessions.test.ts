// A user's own profile and MCP sessions on /user (GET_MY_PROFILE, LIST_MY_SESSIONS, END_MY_SESSION), what
// the Desk page shows and ends: a user sees and ends only their own sessions, and the end is audited.
import { describe, expect, it } from "vitest";
import { callAction, createUser, sql } from "./gateway.ts";
import { connectClient, registerServer } from "./mcp-client.ts";

type Sessions = { sessions: { sessionId: string; clientName: string | null; openedAt: string; oauthClient: boolean }[] };

describe("a user's own profile and sessions", () => {
  it("answers the user's name and email, and tells the owner key it has no profile", async () => {
    const alice = await createUser({ name: "Alice Profile", email: `alice-${crypto.randomUUID().slice(0, 8)}@example.test` });
    const reply = await callAction("/user", 1203, {}, alice.apiKey);
    expect(reply.body.data).toEqual({ userId: alice.userId, name: "Alice Profile", email: alice.user.email, role: "user" });
    expect((await callAction("/user", 1203, {})).status).toBe(403);
  });

  it("lists the user's sessions with their client; END_MY_SESSION ends one (audited), and never another user's", async () => {
    await registerServer("alpha");
    const alice = await createUser();
    const bob = await createUser();
    const mine = await connectClient({ credential: alice.apiKey });
    const theirs = await connectClient({ credential: bob.apiKey });
    const listed = (await callAction<Sessions>("/user", 1204, {}, alice.apiKey)).body.data!.sessions;
    expect(listed).toEqual([expect.objectContaining({ sessionId: mine.transport.sessionId, clientName: "test-client", oauthClient: false })]);

    const refused = await callAction("/user", 1205, { sessionId: theirs.transport.sessionId }, alice.apiKey);
    expect(refused.status).toBe(404);
    expect((await theirs.client.listTools()).tools.length).toBeGreaterThan(0);
    expect((await callAction("/user", 1205, {}, alice.apiKey)).status).toBe(400);

    const ended = await callAction("/user", 1205, { sessionId: mine.transport.sessionId }, alice.apiKey);
    expect(ended.body).toEqual({ success: true, data: { sessionId: mine.transport.sessionId, ended: true } });
    await expect(mine.client.listTools()).rejects.toThrow(/Session not found/);
    expect((await callAction<Sessions>("/user", 1204, {}, alice.apiKey)).body.data!.sessions).toEqual([]);
    // Both attempts are on record: the refused one (another user's session) and the end.
    const audited = await sql("select outcome from audit_records where user_id = $1 and method = 'user/END_MY_SESSION' order by seq", [alice.userId]);
    expect(audited).toEqual([{ outcome: "error" }, { outcome: "ok" }]);
    await theirs.client.close();
  });
});
