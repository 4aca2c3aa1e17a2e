import { auditActions } from "./audit.ts";
import { serverInstanceActions } from "./server-instances.ts";
import { serverActions } from "./servers.ts";
import { userActions } from "./users.ts";
import { vaultActions } from "./vault.ts";

/** Every `POST /admin` action, in documentation order. */
export const adminActions = [...userActions, ...serverInstanceActions, ...serverActions, ...vaultActions, ...auditActions];
