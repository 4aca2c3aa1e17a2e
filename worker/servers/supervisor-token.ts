/**
 * The dev supervisor's bearer token, derived rather than passed: a command line is readable by every
 * local user (/proc/<pid>/cmdline), so `npm run dev` puts only a random nonce there, and both the
 * supervisor and the Worker compute the token from it and the owner key, which only `.dev.vars` (0600)
 * and the Worker hold.
 */
export async function supervisorToken(ownerKey: string, nonce: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(ownerKey), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`peta stdio supervisor ${nonce}`));
  return Array.from(new Uint8Array(mac), (byte) => byte.toString(16).padStart(2, "0")).join("");
}
