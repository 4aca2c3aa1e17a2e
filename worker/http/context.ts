import type { Context } from "hono";
import type { Principal } from "../auth/principal.ts";
import type { Database } from "../db/client.ts";
import type { AppEnv } from "../env.ts";

export interface AppVariables {
  /** Opens the request's database connection on first use. */
  db: () => Database;
  principal: Principal;
  /** Why the request's Host or Origin is refused (null: it is not), once checked; see originRefusal(). */
  originRefusal?: string | null;
}

export interface HonoEnv {
  Bindings: AppEnv;
  Variables: AppVariables;
}

export type AppContext = Context<HonoEnv>;
