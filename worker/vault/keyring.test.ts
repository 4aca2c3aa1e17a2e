import { describe, expect, it } from "vitest";
import { VaultError } from "./errors.ts";
import { loadKeyRing } from "./keyring.ts";
import { randomKey, vaultKeys } from "./test-keys.ts";

async function failure(source: string | undefined): Promise<VaultError> {
  const error: unknown = await loadKeyRing(source).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

describe("loadKeyRing", () => {
  it("makes the first key active and keeps every key for decryption, newest first", async () => {
    const ring = await loadKeyRing(vaultKeys({ id: "v2", key: randomKey() }, { id: "v1", key: randomKey() }));
    expect(ring.activeKeyId).toBe("v2");
    expect(ring.keyIds).toEqual(["v2", "v1"]);
    expect(ring.decryptKey("v1")).toBeDefined();
    expect(ring.decryptKey("v3")).toBeUndefined();
    expect(ring.encryptKey.usages).toEqual(["encrypt"]);
    for (const key of [ring.encryptKey, ring.decryptKey("v1") as CryptoKey]) {
      expect(key.extractable).toBe(false);
      expect(key.algorithm.name).toBe("AES-GCM");
    }
  });

  it("imports once per source string", async () => {
    const source = vaultKeys({ id: "k", key: randomKey() });
    expect(await loadKeyRing(source)).toBe(await loadKeyRing(source));
    expect(await loadKeyRing(vaultKeys({ id: "k", key: randomKey() }))).not.toBe(await loadKeyRing(source));
  });

  it("accepts base64url and unpadded keys", async () => {
    const url = randomKey().replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
    expect((await loadKeyRing(vaultKeys({ id: "u_1-x", key: url }))).activeKeyId).toBe("u_1-x");
  });

  it("rejects malformed rings with a message that says what and where, without key bytes", async () => {
    const good = randomKey();
    const short = randomKey(16);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /not set/],
      ["", /not set/],
      ["{not json", /not JSON/],
      [JSON.stringify({ id: "v1", key: good }), /JSON array/],
      ["[]", /holds no key/],
      [JSON.stringify(["x"]), /entry 0 is not an object/],
      [vaultKeys({ id: "ok", key: good }, { id: "bad id!", key: good }), /entry 1 needs an "id"/],
      [vaultKeys({ id: "x".repeat(33), key: good }), /entry 0 needs an "id"/],
      [vaultKeys({ id: "v1", key: "not base64 at all!" }), /entry 0 \("v1"\) has a "key" that is not base64/],
      [vaultKeys({ id: "v1", key: short }), /entry 0 \("v1"\) has a 16-byte key; it must be 32 bytes/],
      [vaultKeys({ id: "v1", key: good }, { id: "v1", key: short }), /entry 1 repeats the id "v1"/],
      [JSON.stringify([{ id: "v1" }]), /entry 0 \("v1"\) has no "key"/],
    ];
    for (const [source, expected] of cases) {
      const error = await failure(source);
      expect(error.message, String(source)).toMatch(/^VAULT_KEYS is misconfigured: /);
      expect(error.message, String(source)).toMatch(expected);
      for (const key of [good, short, good.replace(/=+$/, ""), short.replace(/=+$/, "")]) {
        expect(error.message).not.toContain(key);
      }
    }
  });
});
