/**
 * `wrangler dev` flag for every local run of the gateway: only loopback names may reach it, which stops
 * a DNS-rebinding page from talking to it through a browser (MCP_ALLOWED_HOSTS in wrangler.toml).
 */
export const LOOPBACK_HOSTS_FLAG = "--var=MCP_ALLOWED_HOSTS:127.0.0.1,localhost,[::1]";

/** `wrangler dev` flag for every local run: OAuth clients may publish their metadata document on loopback. */
export const LOOPBACK_CLIENTS_FLAG = "--var=OAUTH_ALLOW_LOOPBACK_CLIENTS:true";
