/** Reads a request body up to a byte limit, as API Gateway enforces its payload quota. */
import type { IncomingMessage } from "node:http";

/** API Gateway HTTP API's payload quota: 10 MB. */
export const API_GATEWAY_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
}

/** The exact bytes received; rejects with BodyTooLargeError as soon as the limit is passed. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limitBytes) {
    return Promise.reject(new BodyTooLargeError(`declared ${declared} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        // Keep reading into nothing: the client can finish sending and then read the 413.
        req.off("data", onData);
        req.resume();
        reject(new BodyTooLargeError(`more than ${limitBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(Buffer.concat(chunks, size)));
    req.once("error", reject);
  });
}
