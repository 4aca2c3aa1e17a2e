import { describe, expect, it } from "vitest";
import { compilePolicy } from "./compile.ts";
import { visibleCatalog } from "./list-filter.ts";
import { call, policySet, server, snapshot } from "./test-snapshots.ts";

describe("visibleCatalog", () => {
  it("keeps exactly the items isVisible lets through, templates by their uriTemplate", () => {
    const compiled = compilePolicy(
      snapshot({
        servers: { github: server({ capabilities: { tool: { off: { enabled: false, dangerLevel: null } }, prompt: {}, resource: {} } }) },
        policySets: [policySet([{ match: { tool: "secret://*" }, effect: "deny" }, { match: { tool: "hidden_prompt" }, effect: "deny" }])],
      }),
    );
    const entry = {
      serverId: "github",
      catalog: {
        serverInfo: {},
        capabilities: {},
        tools: [{ name: "on" }, { name: "off" }],
        prompts: [{ name: "hidden_prompt" }, { name: "shown" }],
        resources: [{ uri: "secret://a" }, { uri: "file:///b" }],
        resourceTemplates: [{ uriTemplate: "secret://{id}" }, { uriTemplate: "file:///{path}" }],
      },
    };
    const { user, client } = call();
    const { catalog } = visibleCatalog(compiled, { user, client }, entry);
    expect(catalog.tools).toEqual([{ name: "on" }]);
    expect(catalog.prompts).toEqual([{ name: "shown" }]);
    expect(catalog.resources).toEqual([{ uri: "file:///b" }]);
    expect(catalog.resourceTemplates).toEqual([{ uriTemplate: "file:///{path}" }]);
  });
});
