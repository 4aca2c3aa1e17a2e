import type { AppContext } from "../../http/context.ts";
import { OAuthError } from "./errors.ts";
import { errorPage, PAGE_HEADERS } from "./pages.ts";

/** The authorization response, with `iss` (RFC 9207) so a client talking to several servers can tell which answered. */
export function redirectBack(redirectUri: string, issuer: string, params: Record<string, string | null | undefined>): Response {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== null && value !== undefined) url.searchParams.set(name, value);
  url.searchParams.set("iss", issuer);
  // 303: the browser follows a POST's redirect with a GET, as the client's redirect endpoint expects.
  return new Response(null, { status: 303, headers: { location: url.href, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer" } });
}

export async function onPage(c: AppContext, run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof OAuthError) return c.html(errorPage(error.message), error.status, PAGE_HEADERS);
    throw error;
  }
}
