const encoder = new TextEncoder();
// One derived key per (secret, purpose), per isolate: importing is the costly part of an HMAC.
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * An HMAC-SHA-256 key derived (HKDF) from a deployment secret for one purpose, named by `info`: the
 * same secret yields unrelated keys for unrelated uses, and rotating it retires every one of them.
 */
export function derivedMacKey(secret: string, info: string): Promise<CryptoKey> {
  const cacheKey = `${info}\u0000${secret}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) },
          base,
          { name: "HMAC", hash: "SHA-256", length: 256 },
          false,
          ["sign"],
        ),
      );
    keys.set(cacheKey, key);
  }
  return key;
}

export async function derivedMac(secret: string, info: string, data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", await derivedMacKey(secret, info), data));
}
