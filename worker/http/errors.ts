/**
 * Every failure the API reports. The numeric code's first three digits are its HTTP status,
 * so a client can branch on either.
 */
export const ERROR_CODES = {
  INVALID_JSON: 40001,
  VALIDATION_FAILED: 40002,
  UNKNOWN_ACTION: 40003,
  UNAUTHENTICATED: 40101,
  FORBIDDEN: 40301,
  NOT_FOUND: 40401,
  CONFLICT: 40901,
  PAYLOAD_TOO_LARGE: 41301,
  RATE_LIMITED: 42901,
  INTERNAL: 50001,
  /** The database is unreachable (the reply carries Retry-After), or the IP allow-list was never read. */
  SERVICE_UNAVAILABLE: 50301,
} as const;

export type ErrorKind = keyof typeof ERROR_CODES;
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 503;

export class AppError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string) {
    super(message);
    this.name = "AppError";
    this.kind = kind;
  }

  get code(): number {
    return ERROR_CODES[this.kind];
  }

  get status(): ErrorStatus {
    return Math.floor(this.code / 100) as ErrorStatus;
  }

  toBody(): FailureBody {
    return { success: false, error: { code: this.code, message: this.message } };
  }
}

export interface FailureBody {
  success: false;
  error: { code: number; message: string };
}
