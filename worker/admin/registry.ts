import { serverActions } from "./servers.ts";
import { userActions } from "./users.ts";

/** Every `POST /admin` action, in documentation order. */
export const adminActions = [...userActions, ...serverActions];
