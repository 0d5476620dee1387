/**
 * A recording pass-through between the service and the Meta sandbox, over real HTTP on loopback.
 * The sandbox stamps a fresh `fbtrace_id` on every error, so a second call to it can never show
 * the bytes the proxy received; the tap keeps those exact bytes, so tests can compare them with
 * what the proxy answered byte for byte.
 */
import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface TappedExchange {
  method: string;
  path: string;
  status: number;
  contentType: string | undefined;
  /** The upstream response body exactly as it came. */
  body: Buffer;
}

export interface UpstreamTap {
  url: string;
  exchanges(): TappedExchange[];
  clear(): void;
  close(): Promise<void>;
}

export async function startUpstreamTap(target: string): Promise<UpstreamTap> {
  const upstream = new URL(target);
  const exchanges: TappedExchange[] = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const forward = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: upstream.host },
        },
        (upstreamRes) => {
          const body: Buffer[] = [];
          upstreamRes.on("data", (chunk: Buffer) => body.push(chunk));
          upstreamRes.on("end", () => {
            const bytes = Buffer.concat(body);
            exchanges.push({
              method: req.method ?? "",
              path: req.url ?? "",
              status: upstreamRes.statusCode ?? 0,
              contentType: upstreamRes.headers["content-type"],
              body: bytes,
            });
            res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
            res.end(bytes);
          });
        },
      );
      // The sandbox reset or vanished: the client sees the same kind of failure.
      forward.on("error", () => req.socket.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    exchanges: () => [...exchanges],
    clear: () => {
      exchanges.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
