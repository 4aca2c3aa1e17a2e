import { AppError } from "../../http/errors.ts";

/** The error codes of RFC 6749 §5.2, RFC 7591 §3.2.2 and RFC 8707 §2 that this server answers with. */
export type OAuthErrorCode =
  | "invalid_request"
  | "invalid_client"
  | "invalid_grant"
  | "unsupported_grant_type"
  | "invalid_target"
  | "invalid_client_metadata"
  | "invalid_redirect_uri"
  | "access_denied"
  | "unsupported_response_type";

/**
 * A refusal in OAuth's own shape (`{error, error_description}`), which OAuth clients parse; as an AppError
 * it is also recorded like any other failed change when it ends an audited one.
 */
export class OAuthError extends AppError {
  readonly error: OAuthErrorCode;

  constructor(error: OAuthErrorCode, description: string, kind: "VALIDATION_FAILED" | "UNAUTHENTICATED" | "FORBIDDEN" = "VALIDATION_FAILED") {
    super(kind, description);
    this.name = "OAuthError";
    this.error = error;
  }

  toResponse(): Response {
    return Response.json(
      { error: this.error, error_description: this.message },
      { status: this.status, headers: { "Cache-Control": "no-store" } },
    );
  }
}

/** Runs an endpoint, answering its OAuth refusals as OAuth errors; anything else goes on to the app's handler. */
export async function oauthEndpoint(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof OAuthError) return error.toResponse();
    throw error;
  }
}
