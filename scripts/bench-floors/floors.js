// The two floor rows of `npm run bench`: the least a Worker can do on its way to the fixture, run in
// workerd exactly as the gateway is. Plain JavaScript, since Miniflare runs it as it is, unbundled.
//   default export: one fetch() per request, straight to the fixture;
//   ViaDurableObject: the Worker hands each request to a Durable Object by RPC, one object per MCP
//   session as the gateway has, and the object fetches from the fixture.
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";

function toFixture(request, env) {
  const url = new URL(request.url);
  return new Request(new URL(url.pathname + url.search, env.FIXTURE_ORIGIN), request);
}

export default {
  fetch(request, env) {
    return fetch(toFixture(request, env));
  },
};

export class ViaDurableObject extends WorkerEntrypoint {
  fetch(request) {
    // initialize has no session id yet: any fresh object will do.
    const name = request.headers.get("mcp-session-id") ?? crypto.randomUUID();
    return this.env.FORWARDER.get(this.env.FORWARDER.idFromName(name)).forward(toFixture(request, this.env));
  }
}

export class Forwarder extends DurableObject {
  forward(request) {
    return fetch(request);
  }
}
