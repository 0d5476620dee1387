/**
 * What `npm start` and the tests run listens on loopback only: DynamoDB Local (the run's own,
 * started by dev/dynamodb-local.ts as `npm start` starts it), the Meta sandbox and the local
 * gateway answer on 127.0.0.1 and refuse connections to every other address of this machine.
 */
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type LocalGateway, startLocalGateway } from "../../dev/local-gateway.ts";
import { type MetaSandbox, startMetaSandbox } from "../../meta-sandbox/index.ts";

/** This machine's addresses other than loopback (IPv6 link-local ones need a zone: left out). */
const OTHER_ADDRESSES = Object.values(networkInterfaces())
  .flat()
  .filter((info) => info !== undefined && !info.internal && !info.address.startsWith("fe80:"))
  .map((info) => info?.address as string);

/** "connected" or the connection error's code. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 5_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve("timeout");
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

async function expectLoopbackOnly(port: number): Promise<void> {
  expect(await tryConnect("127.0.0.1", port)).toBe("connected");
  for (const address of OTHER_ADDRESSES) {
    expect(await tryConnect(address, port), `${address}:${port}`).toBe("ECONNREFUSED");
  }
}

let sandbox: MetaSandbox;
let gateway: LocalGateway;

beforeAll(async () => {
  sandbox = await startMetaSandbox();
  gateway = await startLocalGateway({ log: false });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

describe("listening on loopback only", () => {
  it("DynamoDB Local", async () => {
    const endpoint = new URL(inject("dynamodbEndpoint"));
    expect(endpoint.hostname).toBe("127.0.0.1");
    await expectLoopbackOnly(Number(endpoint.port));
  });

  it("the Meta sandbox", async () => {
    expect(new URL(sandbox.url).hostname).toBe("127.0.0.1");
    await expectLoopbackOnly(sandbox.port);
  });

  it("the local gateway", async () => {
    expect(new URL(gateway.url).hostname).toBe("127.0.0.1");
    await expectLoopbackOnly(gateway.port);
  });
});
