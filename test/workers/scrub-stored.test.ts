// Nothing a server's connection injects is stored in plain text, in any field (canary): not the audit
// record's `name` (a resources/read URI carrying the secret, in each encoding the scrubber knows), and
// not an approver's edited arguments, in the request, its views, the Desk messages or the admin chain.
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, createUser, type CreatedUser, sql } from "./gateway.ts";
import { connectClient, registerServer, textOf } from "./mcp-client.ts";
import { type DeskSocket, openDesk } from "./desk-client.ts";
import { heldCall } from "./approvals-support.ts";

/** The canary as a client might spell it inside a URI: every form but the first hides it from a plain search. */
function encodings(canary: string): Record<string, string> {
  const bytes = new TextEncoder().encode(canary);
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  const base64 = btoa(String.fromCharCode(...bytes));
  const base64url = base64.replace(/\+/g, "-").replace(/\//g, "_");
  return {
    raw: canary,
    urlEncoded: encodeURIComponent(canary),
    urlEncodedLower: encodeURIComponent(canary).replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()),
    everyByteEscaped: [...bytes].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join(""),
    base64,
    base64Unpadded: base64.replace(/=+$/, ""),
    base64url,
    base64urlUnpadded: base64url.replace(/=+$/, ""),
    hex,
    hexUpper: hex.toUpperCase(),
    unicodeEscaped: [...canary].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join(""),
  };
}

describe("nothing injected is stored in plain text", () => {
  // "+" and "/" make the URL-encoded and base64 forms differ from the raw one.
  const canary = `Canary+Secret/${crypto.randomUUID()}`;
  const forms = encodings(canary);
  let serverId: string;
  let dana: CreatedUser;
  let client: Client;
  let sessionId: string;
  let dana_: DeskSocket;

  /** No stored or shown text holds the canary in any of its forms. */
  function expectClean(text: string, where: string): void {
    for (const [name, form] of Object.entries(forms)) expect(text.includes(form), `${where}: ${name}`).toBe(false);
  }

  beforeAll(async () => {
    serverId = await registerServer("alpha", { headers: { Authorization: "Bearer {{secret:GUARDED}}" } });
    expect((await admin(2101, { serverId, name: "GUARDED", value: canary })).status).toBe(200);
    const created = await admin(9101, {
      name: `scrub-stored-${serverId}`,
      serverId,
      rules: [
        { id: "no-denied-docs", priority: 20, match: { tool: "fixture://doc/denied/*" }, effect: "deny", reason: "not these" },
        { id: "hold-echo", priority: 10, match: { tool: "echo" }, effect: "require_approval", reason: "echo is checked", approvers: ["self"] },
      ],
    });
    expect(created.status).toBe(200);
    dana = await createUser();
    dana_ = await openDesk(dana.apiKey);
    await dana_.next("approvals.snapshot");
    const connected = await connectClient({ credential: dana.apiKey });
    client = connected.client;
    sessionId = connected.transport.sessionId!;
  });

  afterAll(async () => {
    await client.close();
    dana_.socket.close(1000);
    await admin(2013, { serverId });
  });

  it("scrubs the audit name of a resources/read whose URI carries the secret, in every encoding, read or refused", async () => {
    const uris = Object.values(forms).flatMap((form) => [`fixture://doc/${form}`, `fixture://doc/denied/${form}`]);
    for (const uri of uris) await client.readResource({ uri: `peta://${serverId}/${uri}` }).catch(() => null);
    let rows: { row: string }[] = [];
    await expect
      .poll(async () => (rows = await sql("select row_to_json(r)::text as row from audit_records r where session_id = $1 and method = 'resources/read'", [sessionId])).length, { timeout: 15_000 })
      .toBe(uris.length);
    for (const { row } of rows) {
      expectClean(row, row);
      expect(row).toContain("[REDACTED:GUARDED]");
    }
  });

  it("refuses edited arguments that carry the secret, on the Desk and through 9203, and keeps it out of every record and view", async () => {
    const call = heldCall(client, `${serverId}__echo`, { text: "plain" });
    const id = (await dana_.next("approval.requested", (m) => m.approval.serverId === serverId)).approval.approvalId;
    for (const [name, form] of Object.entries(forms)) {
      dana_.send({ type: "approval.decide", requestId: `desk-${name}`, approvalId: id, decision: "approve", arguments: { text: `now ${form}` } });
      expect(await dana_.next("error", (m) => m.requestId === `desk-${name}`), name).toMatchObject({ code: 40002, message: expect.stringContaining("GUARDED") });
    }
    const viaAdmin = await admin(9203, { approvalId: id, decision: "approve", reason: `because ${canary}`, arguments: { text: `now ${canary}` } });
    expect(viaAdmin.status).toBe(400);
    expectClean(JSON.stringify(viaAdmin.body), "9203 reply");

    expectClean(JSON.stringify((await admin(9201, { serverId })).body), "LIST_APPROVALS");
    expectClean(JSON.stringify((await admin(9202, { approvalId: id })).body), "GET_APPROVAL");
    const [request] = await sql<{ row: string }>("select row_to_json(a)::text as row from approval_requests a where id = $1", [id]);
    expectClean(request!.row, "approval_requests");
    const records = await sql<{ method: string; row: string }>("select method, row_to_json(r)::text as row from audit_records r where chain_id = 'admin' and arguments->>'approvalId' = $1", [id]);
    expect(records.map((record) => record.method)).toEqual(expect.arrayContaining(["desk/DECIDE_APPROVAL", "admin/DECIDE_APPROVAL"]));
    for (const record of records) expectClean(record.row, record.method);

    dana_.send({ type: "approval.decide", requestId: "clean", approvalId: id, decision: "approve", arguments: { text: "edited, clean" } });
    expect((await dana_.next("approval.decide.result", (m) => m.requestId === "clean")).approval).toMatchObject({ status: "approved", editedArguments: { text: "edited, clean" } });
    expect(textOf(await call)).toBe("alpha: edited, clean");
    for (const message of dana_.received) expectClean(JSON.stringify(message), `desk ${message.type}`);
  });
});
