// A Desk WebSocket client in workerd: the ticket from POST /desk/ticket, then the upgrade through the
// Worker's fetch (the plugin hands back the client end as `response.webSocket`), and a queue of messages.
import { expect } from "vitest";
import { type DeskServerMessage, deskServerMessage } from "../../worker/desk/messages.ts";
import { request } from "./gateway.ts";

export async function ticketFor(credential: string, init: { origin?: string; channel?: "desk" | "web" } = {}): Promise<Response> {
  return request("/desk/ticket", {
    method: "POST",
    headers: { authorization: `Bearer ${credential}`, "content-type": "application/json", ...(init.origin ? { origin: init.origin } : {}) },
    body: init.channel ? JSON.stringify({ channel: init.channel }) : "",
  });
}

export async function issueTicket(credential: string, channel?: "desk" | "web"): Promise<string> {
  const response = await ticketFor(credential, channel ? { channel } : {});
  expect(response.status).toBe(200);
  const body = (await response.json()) as { ticket: string; expiresIn: number };
  expect(body.expiresIn).toBe(30);
  return body.ticket;
}

export function upgrade(ticket: string | null, headers: Record<string, string> = {}): Promise<Response> {
  return request(`/desk${ticket === null ? "" : `?ticket=${encodeURIComponent(ticket)}`}`, { headers: { upgrade: "websocket", ...headers } });
}

type Of<T extends DeskServerMessage["type"]> = Extract<DeskServerMessage, { type: T }>;

export interface DeskSocket {
  socket: WebSocket;
  /** Every message so far, each checked against the schema. */
  received: DeskServerMessage[];
  /** When each of them arrived (Date.now(), which workerd advances at each I/O). */
  arrivedAt: number[];
  /** The next message of this type (from where the last `next` of any type stopped looking, or the start). */
  next<T extends DeskServerMessage["type"]>(type: T, match?: (message: Of<T>) => boolean): Promise<Of<T>>;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

export async function openDesk(credential: string, channel?: "desk" | "web"): Promise<DeskSocket> {
  const response = await upgrade(await issueTicket(credential, channel));
  expect(response.status).toBe(101);
  return deskSocket(response.webSocket!);
}

export function deskSocket(socket: WebSocket): DeskSocket {
  const received: DeskServerMessage[] = [];
  const arrivedAt: number[] = [];
  const seen = new Set<number>();
  let wake: (() => void) | null = null;
  socket.addEventListener("message", (event) => {
    received.push(deskServerMessage.parse(JSON.parse(String(event.data))));
    arrivedAt.push(Date.now());
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason })));
  socket.accept();
  return {
    socket,
    received,
    arrivedAt,
    closed,
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    async next(type, match) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const index = received.findIndex((m, i) => !seen.has(i) && m.type === type && (!match || match(m as never)));
        if (index >= 0) {
          seen.add(index);
          return received[index] as never;
        }
        if (Date.now() > deadline) throw new Error(`no ${type} message; got ${received.map((m) => m.type).join(", ")}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
    },
  };
}
