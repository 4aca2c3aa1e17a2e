import type { ErrorHandler, NotFoundHandler } from "hono";
import type { HonoEnv } from "./context.ts";
import { VaultError } from "../vault/errors.ts";
import { AppError } from "./errors.ts";
import { logEvent } from "../observability/log.ts";
import { errorText, isDatabaseUnavailable, RETRY_AFTER_SECONDS } from "../db/errors.ts";
import { databaseUnavailable } from "../mcp/session/responses.ts";

/** Typed failures become the API envelope; anything else is logged and reported without its stack. */
export const onError: ErrorHandler<HonoEnv> = (error, c) => {
  const unavailable = isDatabaseUnavailable(error);
  if (unavailable) logEvent("database.unreachable", { path: c.req.path, error: errorText(error) }, "warn");
  // What runs before /mcp's own handler (the IP allow-list) fails there in JSON-RPC, as the MCP door does.
  if ((unavailable || (error instanceof AppError && error.kind === "SERVICE_UNAVAILABLE")) && isMcpPath(c.req.path)) return databaseUnavailable();
  if (error instanceof AppError) {
    const headers: Record<string, string> = error.status === 401 ? { "WWW-Authenticate": "Bearer" } : {};
    if (error.status === 503) headers["Retry-After"] = String(RETRY_AFTER_SECONDS);
    return c.json(error.toBody(), error.status, headers);
  }
  // Vault failures are built to name what failed and never key material or plaintext, so they are shown.
  if (error instanceof VaultError) return c.json(new AppError("INTERNAL", error.message).toBody(), 500);
  if (unavailable) {
    const body = new AppError("SERVICE_UNAVAILABLE", "The database is unreachable; retry shortly").toBody();
    return c.json(body, 503, { "Retry-After": String(RETRY_AFTER_SECONDS) });
  }
  logEvent("request.unhandled_error", { path: c.req.path, error: errorText(error) }, "error");
  return c.json(new AppError("INTERNAL", "Internal error").toBody(), 500);
};

function isMcpPath(path: string): boolean {
  return path === "/mcp" || path.startsWith("/mcp/");
}

export const onNotFound: NotFoundHandler<HonoEnv> = (c) =>
  c.json(new AppError("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`).toBody(), 404);
