import net from "node:net";

/** The SSLRequest code a driver sends before its startup message when it wants TLS. */
const SSL_REQUEST = 80877103;

/**
 * A Postgres that lets nobody in, for the outage tests: it reads a startup message and answers with a
 * FATAL ErrorResponse whose SQLSTATE is the database named (`/28P01` refuses as a wrong password does,
 * `/XX000` as a pooler does when it cannot reach its origin), then hangs up. The local Postgres runs with
 * trust authentication, so only a server of this kind can refuse a password.
 */
export async function startRefusingPostgres(): Promise<{ hostPort: string; stop(): Promise<void> }> {
  const server = net.createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 8 || buffered.length < buffered.readInt32BE(0)) return;
      const length = buffered.readInt32BE(0);
      if (buffered.readInt32BE(4) === SSL_REQUEST) {
        buffered = buffered.subarray(length);
        socket.write("N");
        return;
      }
      const params = buffered.subarray(8, length).toString("utf8").split("\0");
      const database = params[params.indexOf("database") + 1] ?? "";
      socket.end(errorResponse(database, `refused by the test server (${database})`));
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return { hostPort: `127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

function errorResponse(sqlstate: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${sqlstate}\0M${message}\0\0`, "utf8");
  const header = Buffer.alloc(5);
  header.write("E", 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}
