// A stand-in for a client's website: it publishes Client ID Metadata Documents on loopback, plus the
// misbehaving documents the gateway's fetcher must refuse.
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface MetadataServer {
  origin: string;
  close(): Promise<void>;
}

/**
 * `/clients/<name>.json?redirect=<uri>` is a valid document for that client (its client_id is its own
 * URL). `/huge.json` is too large, `/moved.json` redirects, `/impostor.json` claims another client_id,
 * `/slow.json` answers after 8 s, `/nul.json` has a NUL in its name. `/fetches?path=<path>` says how often a path was fetched.
 */
export async function startClientMetadataServer(): Promise<MetadataServer> {
  const fetches = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", `http://${req.headers.host}`);
    if (url.pathname === "/fetches") {
      res.writeHead(200, { "content-type": "application/json" });
      return res.end(JSON.stringify(fetches.get(url.searchParams.get("path") ?? "") ?? 0));
    }
    fetches.set(url.pathname, (fetches.get(url.pathname) ?? 0) + 1);
    const json = (body: unknown) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const client = /^\/clients\/([a-z0-9-]+)\.json$/.exec(url.pathname);
    if (client) return json({ client_id: url.href, client_name: client[1], redirect_uris: [url.searchParams.get("redirect")] });
    if (url.pathname === "/huge.json") return json({ client_id: url.href, client_name: "x".repeat(64 * 1024), redirect_uris: ["http://127.0.0.1/cb"] });
    if (url.pathname === "/nul.json") return json({ client_id: url.href, client_name: "nul\u0000name", redirect_uris: ["http://127.0.0.1/cb"] });
    if (url.pathname === "/impostor.json") return json({ client_id: "https://claude.ai/oauth/client.json", redirect_uris: ["http://127.0.0.1/cb"] });
    if (url.pathname === "/slow.json") {
      const timer = setTimeout(() => json({ client_id: url.href, redirect_uris: ["http://127.0.0.1/cb"] }), 8_000);
      res.on("close", () => clearTimeout(timer));
      return;
    }
    if (url.pathname === "/moved.json") {
      res.writeHead(302, { location: "/clients/moved.json?redirect=http://127.0.0.1/cb" });
      return res.end();
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
