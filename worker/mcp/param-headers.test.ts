import { describe, expect, it } from "vitest";
import { encodeHeaderValue, paramHeaderMismatch, paramHeadersFor } from "./param-headers.ts";

const schema = { type: "object", properties: { region: { type: "string", "x-mcp-header": "Region" }, count: { type: "integer", "x-mcp-header": "Count" }, text: { type: "string" } } };

describe("Mcp-Param-* headers (SEP-2243)", () => {
  it("mirrors declared arguments only, encoding what is not plain ASCII", () => {
    expect(paramHeadersFor(schema, { region: "eu-west", count: 3, text: "hi" })).toEqual({ "mcp-param-region": "eu-west", "mcp-param-count": "3" });
    expect(paramHeadersFor(schema, { region: "zürich" })).toEqual({ "mcp-param-region": encodeHeaderValue("zürich") });
    expect(encodeHeaderValue("zürich")).toMatch(/^=\?base64\?.+\?=$/);
    expect(encodeHeaderValue(" padded ")).toMatch(/^=\?base64\?/);
  });

  it("accepts headers that agree with the body, and names what does not", () => {
    expect(paramHeaderMismatch({ "mcp-param-region": "eu-west", "mcp-param-count": "3" }, schema, { region: "eu-west", count: 3 })).toBeNull();
    expect(paramHeaderMismatch(paramHeadersFor(schema, { region: "zürich" }), schema, { region: "zürich" })).toBeNull();
    expect(paramHeaderMismatch({ "mcp-param-region": "us-east" }, schema, { region: "eu-west" })).toContain('says "us-east"');
    expect(paramHeaderMismatch({}, schema, { region: "eu-west" })).toContain("header is absent");
    expect(paramHeaderMismatch({ "mcp-param-region": "eu-west" }, schema, {})).toContain("carries no arguments.region");
    expect(paramHeaderMismatch({ "mcp-param-count": "4" }, schema, { count: 3 })).toContain("arguments.count=3");
    expect(paramHeaderMismatch({}, { properties: { text: { type: "string" } } }, { text: "x" })).toBeNull();
  });
});
