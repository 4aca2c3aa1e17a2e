import type { Principal } from "../auth/principal.ts";
import { AppError } from "../http/errors.ts";

/** Personal settings belong to a user; the owner key has no user to hold them. */
export function userIdOf(principal: Principal): string {
  if (principal.userId === null) {
    throw new AppError("FORBIDDEN", "The owner key has no user: call /user with a user's API key or access token");
  }
  return principal.userId;
}
