import { Hono } from "hono";
import { actionHandler } from "../admin/dispatch.ts";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import type { AppEnv } from "../env.ts";
import type { HonoEnv } from "../http/context.ts";
import { AppError, ERROR_CODES, type ErrorKind } from "../http/errors.ts";
import { onError } from "../http/error-handler.ts";
import { selfServiceActions } from "../user/actions.ts";

export interface SelfServiceCaller {
  principal: Principal;
  /** The address the socket was opened from, recorded in the audit as /user records it. */
  ip: string | null;
}

const KIND_OF_CODE = new Map<number, ErrorKind>(Object.entries(ERROR_CODES).map(([kind, code]) => [code, kind as ErrorKind]));

/**
 * Runs one `/user` action for a Desk socket's user through the very dispatcher `/user` uses, so
 * validation, the audited transaction (`user/<NAME>`), the pushes after commit and the error texts are
 * those of POST /user. Failures come back as the AppError the envelope carried.
 */
export async function runSelfService(env: AppEnv, db: Database, caller: SelfServiceCaller, action: number, data: unknown): Promise<unknown> {
  const app = new Hono<HonoEnv>()
    .use(async (c, next) => {
      c.set("db", () => db);
      c.set("principal", caller.principal);
      await next();
    })
    .post("/", actionHandler({ actions: selfServiceActions, roles: ["owner", "admin", "user"], surface: "user" }))
    .onError(onError);
  const headers = new Headers({ "content-type": "application/json" });
  if (caller.ip) headers.set("cf-connecting-ip", caller.ip);
  const response = await app.fetch(new Request("https://desk.internal/", { method: "POST", headers, body: JSON.stringify({ action, data }) }), env);
  const body = (await response.json()) as { success: true; data: unknown } | { success: false; error: { code: number; message: string } };
  if (body.success) return body.data;
  throw new AppError(KIND_OF_CODE.get(body.error.code) ?? "INTERNAL", body.error.message);
}
