import { AppError, type ErrorKind } from "../http/errors.ts";

/** A refused `/desk` upgrade, answered before any socket exists: the API's envelope with its HTTP status. */
export function deskRefusal(kind: ErrorKind, message: string): Response {
  const error = new AppError(kind, message);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (error.status === 401) headers["www-authenticate"] = "Bearer";
  return new Response(JSON.stringify(error.toBody()), { status: error.status, headers });
}
