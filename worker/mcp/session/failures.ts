import { errorText, isDatabaseUnavailable, RETRY_AFTER_SECONDS } from "../../db/errors.ts";
import { logEvent } from "../../observability/log.ts";
import { VaultError } from "../../vault/errors.ts";
import { errorResponse, JSONRPC_ERRORS, type JsonRpcResponse, type RequestId, RpcFailure } from "../protocol.ts";

/** A request's failure as the client sees it: typed failures as they are, anything else without its detail. */
export function failureResponse(id: RequestId, error: unknown, sessionId: string | null): JsonRpcResponse {
  if (error instanceof RpcFailure) return errorResponse(id, error.code, error.message, error.data);
  // Vault failures name the record and the reason, never a key or a value: the caller may see them.
  if (error instanceof VaultError) return errorResponse(id, JSONRPC_ERRORS.INTERNAL_ERROR, `Vault: ${error.message}`);
  if (isDatabaseUnavailable(error)) {
    return errorResponse(
      id,
      JSONRPC_ERRORS.SERVICE_UNAVAILABLE,
      "The gateway's database is unreachable and this request needs it (a server this session has not used yet); retry shortly",
      { retryAfterMs: RETRY_AFTER_SECONDS * 1000 },
    );
  }
  logEvent("request.error", { sessionId, error: errorText(error), cause: errorText((error as { cause?: unknown }).cause ?? "") }, "error");
  return errorResponse(id, JSONRPC_ERRORS.INTERNAL_ERROR, "Internal error");
}
