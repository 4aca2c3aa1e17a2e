import { approvalActions } from "./approvals.ts";
import { auditActions } from "./audit.ts";
import { capabilityActions } from "./capabilities.ts";
import { ipAllowlistActions } from "./ip-allowlist.ts";
import { permissionActions } from "./permissions.ts";
import { policySetActions } from "./policy-sets.ts";
import { serverInstanceActions } from "./server-instances.ts";
import { serverActions } from "./servers.ts";
import { userActions } from "./users.ts";
import { vaultActions } from "./vault.ts";

/** Every `POST /admin` action, in documentation order. */
export const adminActions = [
  ...userActions,
  ...permissionActions,
  ...serverInstanceActions,
  ...serverActions,
  ...capabilityActions,
  ...ipAllowlistActions,
  ...vaultActions,
  ...auditActions,
  ...policySetActions,
  ...approvalActions,
];
