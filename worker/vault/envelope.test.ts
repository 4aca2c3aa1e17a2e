import { describe, expect, it } from "vitest";
import { decryptRecord, encryptRecord, envelopeKeyId, type RecordPlace } from "./envelope.ts";
import { VaultError } from "./errors.ts";
import { type KeyRing, loadKeyRing } from "./keyring.ts";
import { randomKey, vaultKeys } from "./test-keys.ts";

const place: RecordPlace = { kind: "server-secret", owner: "github", name: "GITHUB_TOKEN" };

async function rejection(promise: Promise<unknown>): Promise<VaultError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(VaultError);
  return error as VaultError;
}

function ring(...entries: { id: string; key: string }[]): Promise<KeyRing> {
  return loadKeyRing(vaultKeys(...entries));
}

describe("record envelopes", () => {
  it("round-trips, including empty and non-ASCII plaintext", async () => {
    const keys = await ring({ id: "v1", key: randomKey() });
    for (const plaintext of ["ghp_secret", "", "\uFEFFpäss wörd 🔑", "x".repeat(10_000)]) {
      const envelope = await encryptRecord(keys, place, plaintext);
      expect(envelope).toMatch(/^pv1\.v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      expect(envelopeKeyId(envelope)).toBe("v1");
      expect(await decryptRecord(keys, place, envelope)).toBe(plaintext);
    }
  });

  it("uses a fresh IV every time", async () => {
    const keys = await ring({ id: "v1", key: randomKey() });
    const envelopes = await Promise.all(Array.from({ length: 20 }, () => encryptRecord(keys, place, "same")));
    expect(new Set(envelopes.map((e) => e.split(".")[2])).size).toBe(20);
    expect(new Set(envelopes).size).toBe(20);
  });

  it("after rotation, opens old records and writes new ones with the new key", async () => {
    const v1 = { id: "v1", key: randomKey() };
    const old = await encryptRecord(await ring(v1), place, "old value");
    const rotated = await ring({ id: "v2", key: randomKey() }, v1);
    expect(await decryptRecord(rotated, place, old)).toBe("old value");
    const fresh = await encryptRecord(rotated, place, "new value");
    expect(envelopeKeyId(fresh)).toBe("v2");
    expect(await decryptRecord(rotated, place, fresh)).toBe("new value");
  });

  it("fails closed, naming the key id only, once the key is removed from the ring", async () => {
    const v1 = { id: "v1", key: randomKey() };
    const old = await encryptRecord(await ring(v1), place, "old value");
    const error = await rejection(decryptRecord(await ring({ id: "v2", key: randomKey() }), place, old));
    expect(error.message).toContain("encrypted with key v1, which is not in VAULT_KEYS");
    expect(error.message).not.toContain(v1.key);
    expect(error.message).not.toContain("old value");
  });

  it("fails with another key under the same id", async () => {
    const envelope = await encryptRecord(await ring({ id: "v1", key: randomKey() }), place, "value");
    const error = await rejection(decryptRecord(await ring({ id: "v1", key: randomKey() }), place, envelope));
    expect(error.message).toBe("cannot decrypt server-secret GITHUB_TOKEN: wrong key, tampered, or moved from another record");
  });

  it("fails when any character of the IV or ciphertext is changed", async () => {
    const keys = await ring({ id: "v1", key: randomKey() });
    const envelope = await encryptRecord(keys, place, "value");
    const ivAt = envelope.indexOf(".", 4) + 1;
    const sealedAt = envelope.lastIndexOf(".") + 1;
    for (const at of [ivAt, sealedAt, sealedAt + 5, envelope.length - 3]) {
      const flipped = envelope[at] === "A" ? "B" : "A";
      const tampered = envelope.slice(0, at) + flipped + envelope.slice(at + 1);
      const error = await rejection(decryptRecord(keys, place, tampered));
      expect(error.message).toMatch(/wrong key, tampered, or moved|malformed/);
      expect(error.message).not.toContain("value");
    }
  });

  it("fails when only the unused bits of the last character change", async () => {
    const keys = await ring({ id: "v1", key: randomKey() });
    const envelope = await encryptRecord(keys, place, "valu"); // 20 sealed bytes: 27 characters, 2 spare bits
    const last = envelope.at(-1) as string;
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
    const error = await rejection(decryptRecord(keys, place, envelope.slice(0, -1) + sibling));
    expect(error.message).toMatch(/malformed/);
  });

  it("fails when the ciphertext is moved to another place", async () => {
    const keys = await ring({ id: "v1", key: randomKey() });
    const envelope = await encryptRecord(keys, place, "value");
    const elsewhere: RecordPlace[] = [
      { ...place, owner: "gitlab" },
      { ...place, name: "OTHER_TOKEN" },
      { ...place, kind: "user-value" },
      { ...place, kind: "server-config" },
    ];
    for (const other of elsewhere) {
      const error = await rejection(decryptRecord(keys, other, envelope));
      expect(error.message).toContain("moved from another record");
    }
  });

  it("keeps places apart even when owner or name contain separators", async () => {
    const keys = await ring({ id: "v1", key: randomKey() });
    const a: RecordPlace = { kind: "user-value", owner: "a|b", name: "c" };
    const b: RecordPlace = { kind: "user-value", owner: "a", name: "b|c" };
    const envelope = await encryptRecord(keys, a, "value");
    await rejection(decryptRecord(keys, b, envelope));
  });

  it("rejects malformed envelopes and unknown versions", async () => {
    const keys = await ring({ id: "v1", key: randomKey() });
    const good = await encryptRecord(keys, place, "value");
    const [, , iv, sealed] = good.split(".");
    const cases: [string, RegExp][] = [
      ["", /malformed/],
      ["plaintext secret", /malformed/],
      [`pv2.v1.${iv}.${sealed}`, /unknown envelope version "pv2"/],
      [`pv1.v1.${iv}`, /malformed/],
      [`pv1.v1.${iv}.${sealed}.x`, /malformed/],
      [`pv1.bad id.${iv}.${sealed}`, /key id/],
      [`pv1.v1.AAAA.${sealed}`, /IV/],
      [`pv1.v1.${iv}.AAAA`, /too short/],
      [`pv1.v1.${iv}.${sealed}==`, /malformed/],
    ];
    for (const [envelope, expected] of cases) {
      const error = await rejection(decryptRecord(keys, place, envelope));
      expect(error.message, envelope).toMatch(expected);
    }
  });

  it("reads the key id only from pv1 envelopes", () => {
    expect(envelopeKeyId("pv1.v9.x.y")).toBe("v9");
    expect(envelopeKeyId("pv2.v9.x.y")).toBeNull();
    expect(envelopeKeyId("pv1.v9.x")).toBeNull();
    expect(envelopeKeyId("plain")).toBeNull();
  });
});
