import type { AppContext } from "../../http/context.ts";
import { userIpRefusal } from "../../policy/ip-allowlist-middleware.ts";
import { OAuthError } from "./errors.ts";

/**
 * The OAuth endpoints act for a user once they know which (a sign-in, a consent, a code or refresh
 * token redeemed): from then on the user's own IP allow-list applies, with the 403 and message of /user.
 */
export async function refuseOffListAddress(c: AppContext, userId: string): Promise<void> {
  const refused = await userIpRefusal(c, userId);
  if (refused) throw new OAuthError("access_denied", refused, "FORBIDDEN");
}
