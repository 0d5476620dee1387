/**
 * Overlapping invocations through the local gateway each log with their own request id: the
 * real HTTP middleware (functions/core/http/http-handler.ts) sets the correlation id on the one
 * Powertools logger, and the gateway runs each invocation in its own Lambda invoke context
 * (dev/gateway/concurrent-invocations.ts). The gateway's own line per request names the same id.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../dev/local-gateway.ts";
import { httpHandler } from "../../functions/core/http/http-handler.ts";
import { jsonResponse } from "../../functions/core/http/response.ts";
import { logger } from "../../functions/core/logger.ts";
import { apiEvent, lambdaContext } from "../support/lambda.ts";

interface LogLine {
  message: string;
  correlation_id?: string;
  function_request_id?: string;
  step?: string;
}

/** Resolves once `count` invocations have reached it: every one has logged its first line. */
function barrier(count: number) {
  let arrived = 0;
  const { promise: all, resolve: release } = Promise.withResolvers<void>();
  return () => {
    arrived += 1;
    if (arrived === count) release();
    return all;
  };
}

let meet = barrier(2);
/** Logs, waits until the other invocation has logged too (and so set its own ids), logs again. */
const overlapping = httpHandler(async ({ event }) => {
  const step = event.rawPath.slice(1);
  logger.info("before", { step });
  await meet();
  logger.info("after", { step });
  return jsonResponse(200, { step });
});

const stdout: string[] = [];
const gatewayLines: string[] = [];
let gateway: LocalGateway;

function logLines(): LogLine[] {
  return stdout
    .flatMap((chunk) => chunk.split("\n"))
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.step !== undefined);
}

beforeAll(async () => {
  gateway = await startLocalGateway({
    routes: [
      { method: "GET", path: "/a", handler: "overlapping", functionName: "Overlapping" },
      { method: "GET", path: "/b", handler: "overlapping", functionName: "Overlapping" },
    ],
    loadHandler: async () => overlapping,
    log: (line) => gatewayLines.push(line),
  });
  logger.setLogLevel("INFO");
  vi.spyOn(process.stdout, "write").mockImplementation(((chunk: unknown) => {
    stdout.push(String(chunk));
    return true;
  }) as typeof process.stdout.write);
});

afterEach(() => {
  stdout.length = 0;
  gatewayLines.length = 0;
  meet = barrier(2);
});

afterAll(async () => {
  vi.restoreAllMocks();
  logger.setLogLevel("SILENT");
  await gateway?.close();
});

describe("request ids under overlapping invocations", () => {
  it("every log line of an invocation carries its own request id, and so does the gateway's line", async () => {
    const answers = await Promise.all(["/a", "/b"].map((path) => fetch(`${gateway.url}${path}`)));
    const ids = answers.map((answer) => answer.headers.get("apigw-requestid") ?? "");
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(new Set(ids).size).toBe(2);

    const lines = logLines();
    expect(lines).toHaveLength(4);
    const functionRequestIds = new Set<string>();
    for (const [index, step] of ["a", "b"].entries()) {
      const own = lines.filter((line) => line.step === step);
      expect(own.map((line) => line.message)).toEqual(["before", "after"]);
      for (const line of own) expect(line.correlation_id, `${step}: ${line.message}`).toBe(ids[index]);
      // The Lambda context too: one function request id per invocation, on both its lines.
      expect(new Set(own.map((line) => line.function_request_id)).size).toBe(1);
      functionRequestIds.add(own[0]?.function_request_id ?? "");
      expect(gatewayLines).toContainEqual(
        expect.stringMatching(new RegExp(`^GET /${step} 200 \\d+ ms requestId=${escapeRegExp(ids[index])}$`)),
      );
    }
    expect(functionRequestIds.size).toBe(2);
  });

  it("the same overlap outside any invoke context mixes the ids (what the gateway prevents)", async () => {
    const events = ["/a", "/b"].map((path) => apiEvent({ method: "GET", routePath: path }));
    await Promise.all(events.map((event) => overlapping(event, lambdaContext())));
    const first = logLines().filter((line) => line.step === "a");
    // /a's second line was written after /b had set the one shared correlation id.
    expect(first.map((line) => line.correlation_id)).toEqual(
      events.map((event) => event.requestContext.requestId),
    );
  });
});

function escapeRegExp(text: string | undefined): string {
  return (text ?? "").replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
