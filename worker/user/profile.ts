import { eq } from "drizzle-orm";
import { z } from "zod";
import { defineAction } from "../admin/action.ts";
import { users } from "../db/schema.ts";
import { AppError } from "../http/errors.ts";
import { userIdOf } from "./user-id.ts";

/** Who the caller is, in words: what the Desk page shows in its header instead of an id. */
export const profileActions = [
  defineAction({
    code: 1203,
    name: "GET_MY_PROFILE",
    summary: "Your name, email and role, as the owner or an admin set them.",
    returns: "`{userId, name, email, role}` (email: null when none was set)",
    input: z.strictObject({}),
    async run({ db, principal }) {
      const [row] = await db.select({ userId: users.id, name: users.name, email: users.email, role: users.role }).from(users).where(eq(users.id, userIdOf(principal)));
      if (!row) throw new AppError("NOT_FOUND", "Your user no longer exists");
      return row;
    },
  }),
];
