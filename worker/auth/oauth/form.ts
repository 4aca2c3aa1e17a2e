import { AppError } from "../../http/errors.ts";
import { readBodyText } from "../../http/json-body.ts";
import { unstorableInput } from "../../http/storable-input.ts";
import { OAuthError } from "./errors.ts";

const MAX_FORM_BYTES = 16 * 1024;

/**
 * An `application/x-www-form-urlencoded` body as a plain object (RFC 6749 §3.2). A parameter sent twice
 * is refused (§3.1), since which one counts would otherwise be up to the parser.
 */
export async function readForm(request: Request): Promise<Record<string, string>> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    throw new OAuthError("invalid_request", "Send the parameters as application/x-www-form-urlencoded");
  }
  let text: string;
  try {
    text = await readBodyText(request, MAX_FORM_BYTES);
  } catch (error) {
    if (error instanceof AppError) throw new OAuthError("invalid_request", error.message);
    throw error;
  }
  return singleValues(new URLSearchParams(text));
}

/**
 * Query or form parameters as a plain object, refusing any that is repeated, and any that Postgres could
 * not store or compare (every endpoint's input comes through here, before any lookup).
 */
export function singleValues(search: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of search) {
    if (name in params) throw new OAuthError("invalid_request", `The parameter ${name} is repeated`);
    const unstorable = unstorableInput(name, "a parameter name") ?? unstorableInput(value, name);
    if (unstorable) throw new OAuthError("invalid_request", `Invalid input: ${unstorable}`);
    params[name] = value;
  }
  return params;
}
