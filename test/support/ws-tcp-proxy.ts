import net from "node:net";
import { WebSocketServer } from "ws";

/** Postgres' Terminate message: 'X' followed by the length 4. */
function isTerminate(frame: Buffer): boolean {
  return frame.length === 5 && frame[0] === 0x58 && frame.readInt32BE(1) === 4;
}

/**
 * The WebSocket-to-TCP relay that Neon documents for running its serverless driver against a plain
 * Postgres: the driver connects to `ws://<proxy>?address=<host>:<port>` and speaks the wire protocol.
 */
export async function startWsTcpProxy(): Promise<{ hostPort: string; stop(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  wss.on("connection", (ws, request) => {
    const address = new URL(request.url ?? "/", "http://relay").searchParams.get("address") ?? "";
    const colon = address.lastIndexOf(":");
    const socket = net.connect(Number(address.slice(colon + 1)), address.slice(0, colon));
    socket.setNoDelay(true);
    ws.on("message", (data: Buffer) => {
      socket.write(data);
      // Neon's Client.end() never closes its WebSocket; PGlite's socket server waits for the peer to
      // close, so the relay ends the TCP side itself once the client says goodbye.
      if (isTerminate(data)) socket.end();
    });
    socket.on("data", (data) => ws.send(data));
    socket.on("close", () => ws.close());
    socket.on("error", () => ws.terminate());
    ws.on("close", () => socket.destroy());
    ws.on("error", () => socket.destroy());
  });
  const { port } = wss.address() as net.AddressInfo;
  return {
    hostPort: `127.0.0.1:${port}/v1`,
    stop: () =>
      new Promise((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}
