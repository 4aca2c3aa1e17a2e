/**
 * Every failure of the vault: a misconfigured VAULT_KEYS, or a record that cannot be opened.
 * Messages name keys by id and records by kind and name, never key bytes or plaintext, so they are safe
 * to log and to return to an administrator.
 */
export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultError";
  }
}
