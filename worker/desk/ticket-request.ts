import { z } from "zod";

/** The optional body of POST /desk/ticket (its own module, so the reference generator reads it in Node). */
export const ticketRequest = z.strictObject({
  channel: z.enum(["desk", "web"]).default("desk").describe('Where decisions on the socket are recorded as made: "web" for the /desk page, "desk" for a Desk app'),
});
