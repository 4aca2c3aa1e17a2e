import { auditActions } from "./audit.ts";
import { serverActions } from "./servers.ts";
import { userActions } from "./users.ts";
import { vaultActions } from "./vault.ts";

/** Every `POST /admin` action, in documentation order. */
export const adminActions = [...userActions, ...serverActions, ...vaultActions, ...auditActions];
