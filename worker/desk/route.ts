import { Hono } from "hono";
import { DESK_IP_HEADER, type TicketGrant } from "../../durable-objects/desk.ts";
import { OWNER_DESK } from "../users/live-sessions.ts";
import { requireAuth } from "../auth/middleware.ts";
import type { HonoEnv } from "../http/context.ts";
import { AppError } from "../http/errors.ts";
import { readBodyText } from "../http/json-body.ts";
import { refuseRequestOrigin } from "../mcp/origin.ts";
import { clientIp, userIpAllowlist, userIpRefusal } from "../policy/ip-allowlist-middleware.ts";
import { deskPage } from "./page/page.ts";
import { deskRefusal } from "./refusal.ts";
import { ticketRequest } from "./ticket-request.ts";
import { DESK_TICKET_TTL_SECONDS, readDeskTicket, signDeskTicket } from "./ticket.ts";

/** The browser Origin and Host checks of /mcp (DNS rebinding, cross-site pages), before any other work. */
function refuseOrigin(request: Request, env: HonoEnv["Bindings"]): Response | null {
  const refused = refuseRequestOrigin(request, env);
  return refused ? deskRefusal("FORBIDDEN", refused) : null;
}

/**
 * `/desk`: the page (GET), its WebSocket (GET with Upgrade and `?ticket=`), and `POST /desk/ticket`,
 * which turns a bearer credential into the one-time ticket a browser can put in a WebSocket URL.
 */
export const deskRoute = new Hono<HonoEnv>()
  .post("/ticket", async (c, next) => refuseOrigin(c.req.raw, c.env) ?? next(), requireAuth(), userIpAllowlist, async (c) => {
    const text = await readBodyText(c.req.raw, 1024);
    let raw: unknown = {};
    if (text.trim() !== "") {
      try {
        raw = JSON.parse(text);
      } catch {
        throw new AppError("INVALID_JSON", "Request body is not valid JSON");
      }
    }
    const body = ticketRequest.safeParse(raw);
    if (!body.success) throw new AppError("VALIDATION_FAILED", `Invalid input: ${body.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`).join("; ")}`);
    const principal = c.get("principal");
    const desk = principal.userId ?? OWNER_DESK;
    const issued = await signDeskTicket(c.env, c.req.url, desk);
    const grant: TicketGrant = { principal, ip: clientIp(c), channel: body.data.channel };
    await c.env.DESK.getByName(desk).issueTicket(desk, issued.ticketId, grant, issued.expiresAt);
    c.header("Cache-Control", "no-store");
    return c.json({ ticket: issued.ticket, expiresIn: DESK_TICKET_TTL_SECONDS });
  })
  .get("/", async (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") return deskPage(c, "html");
    const refused = refuseOrigin(c.req.raw, c.env);
    if (refused) return refused;
    const ticket = c.req.query("ticket");
    if (!ticket) return deskRefusal("UNAUTHENTICATED", "Missing ticket: open /desk?ticket=<ticket from POST /desk/ticket>");
    const read = await readDeskTicket(c.env, c.req.url, ticket);
    if (!read) return deskRefusal("UNAUTHENTICATED", "The ticket is invalid or expired: ask POST /desk/ticket for a new one");
    // The socket may come from another address than the ticket request: the user's list is asked again.
    const refusedAddress = await userIpRefusal(c, read.desk === OWNER_DESK ? null : read.desk);
    if (refusedAddress) return deskRefusal("FORBIDDEN", refusedAddress);
    const headers = new Headers({ upgrade: "websocket", "x-desk-ticket": read.ticketId, [DESK_IP_HEADER]: clientIp(c) ?? "" });
    return c.env.DESK.getByName(read.desk).fetch(new Request(c.req.url, { headers }));
  })
  .get("/app.js", (c) => deskPage(c, "script"))
  .get("/app.css", (c) => deskPage(c, "style"));
