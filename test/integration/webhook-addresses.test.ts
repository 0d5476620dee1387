/**
 * Where webhook attempts may connect (issue 22, finding 3): checked on the address actually
 * connected to, not on the URL's text. Host names resolve through a hosts table the test controls
 * (setHostResolver), so names can lead to private, loopback, NAT64, IPv4-mapped... addresses;
 * every refusal is one and the same error, whatever the address kind or port; the connection
 * goes to the very address that was checked (a resolver that changes its answer is asked once);
 * `Host` and TLS SNI stay the name.
 */

import type { LookupAddress } from "node:dns";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { addEndpoint } from "../../functions/core/admin/endpoint-registration.ts";
import { removeEndpointById } from "../../functions/core/admin/webhooks.ts";
import { getDeliveries } from "../../functions/core/store/webhook-deliveries.ts";
import { setLocalDeliveryQueue } from "../../functions/core/tenant-webhooks/delivery-queue.ts";
import { postWebhook } from "../../functions/core/tenant-webhooks/http-attempt.ts";
import {
  addressAllowed,
  REFUSED_ERROR,
  setHostResolver,
} from "../../functions/core/tenant-webhooks/outbound-address.ts";
import { dispatchDeliveries } from "../../functions/core/tenant-webhooks/webhook-dispatch.ts";
import { seedTenant, useWorld } from "../support/world.ts";

process.env.WEBHOOK_TIMEOUT_MS = "1000";
useWorld();

/** Every kind of address an attempt must never connect to (with a local store too). */
const REFUSED: Array<[string, string]> = [
  ["10.1.2.3", "private 10/8"],
  ["172.16.0.1", "private 172.16/12"],
  ["192.168.1.1", "private 192.168/16"],
  ["169.254.169.254", "link-local (cloud metadata)"],
  ["100.64.0.1", "carrier-grade NAT"],
  ["0.0.0.0", "unspecified"],
  ["0.1.2.3", "this network"],
  ["255.255.255.255", "broadcast"],
  ["224.0.0.1", "multicast"],
  ["239.255.255.250", "multicast (SSDP)"],
  ["198.18.0.1", "benchmarking"],
  ["192.0.2.1", "documentation"],
  ["192.0.0.8", "IETF protocol assignments"],
  ["240.0.0.1", "reserved"],
  ["::", "IPv6 unspecified"],
  ["fe80::1", "IPv6 link-local"],
  ["fc00::1", "IPv6 unique-local"],
  ["fd12:3456::1", "IPv6 unique-local"],
  ["fec0::1", "IPv6 site-local"],
  ["ff02::1", "IPv6 multicast"],
  ["::ffff:127.0.0.1", "IPv4-mapped loopback"],
  ["::ffff:10.0.0.1", "IPv4-mapped private"],
  ["::ffff:8.8.8.8", "IPv4-mapped (any)"],
  ["::10.0.0.1", "IPv4-compatible"],
  ["::7f00:1", "IPv4-compatible loopback"],
  ["64:ff9b::a00:1", "NAT64"],
  ["64:ff9b:1::a00:1", "local-use NAT64"],
  ["2002:a00:1::1", "6to4"],
  ["2001:0:4136:e378::1", "Teredo"],
  ["2001:db8::1", "IPv6 documentation"],
  ["2001:2::1", "IPv6 benchmarking"],
  ["100::1", "IPv6 discard"],
];
const LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1"];
const PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"];

afterEach(() => setHostResolver(undefined));

/** A hosts table: name → addresses; counts the lookups of each name. */
function hostsTable(table: Record<string, string[] | (() => string[])>) {
  const lookups = new Map<string, number>();
  setHostResolver(async (hostname): Promise<LookupAddress[]> => {
    lookups.set(hostname, (lookups.get(hostname) ?? 0) + 1);
    const entry = table[hostname];
    const addresses = typeof entry === "function" ? entry() : entry;
    if (!addresses)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  });
  return lookups;
}

async function receiver() {
  const requests: { host: string | undefined; path: string | undefined }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on("end", () => {
      requests.push({ host: req.headers.host, path: req.url });
      // No keep-alive: each attempt opens (and so resolves and checks) anew.
      res.writeHead(204, { connection: "close" }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const post = (url: string, allowLoopback: boolean) =>
  postWebhook(url, { "content-type": "application/json" }, "{}", 1000, { allowLoopback });

describe("address kinds", () => {
  it.each(REFUSED)("refuses %s (%s), with a local store too", (address) => {
    expect(addressAllowed(address, false)).toBe(false);
    expect(addressAllowed(address, true)).toBe(false);
  });

  it.each(LOOPBACK)("refuses loopback %s, but not with a local store", (address) => {
    expect(addressAllowed(address, false)).toBe(false);
    expect(addressAllowed(address, true)).toBe(true);
  });

  it.each(PUBLIC)("allows the public address %s", (address) => {
    expect(addressAllowed(address, false)).toBe(true);
  });
});

describe("attempts to host names", { timeout: 60_000 }, () => {
  it("refuses a name resolving to any refused kind, with one error whatever the kind or port, connecting nowhere", async () => {
    const table: Record<string, string[]> = {};
    REFUSED.forEach(([address], i) => {
      table[`kind${i}.hooks.test`] = [address];
    });
    // One public address beside a private one is refused too: every address is checked.
    table["mixed.hooks.test"] = ["93.184.216.34", "10.0.0.9"];
    hostsTable(table);
    const errors = new Set<string>();
    for (const [i, port] of [443, 22, 6379, 8000].entries()) {
      for (const name of Object.keys(table)) {
        const scheme = i % 2 === 0 ? "https" : "http";
        const result = await post(`${scheme}://${name}:${port}/hooks`, true);
        expect(result, name).toMatchObject({ ok: false, unreachable: "connection" });
        expect(result.responseStatus).toBeUndefined();
        errors.add(result.error as string);
      }
    }
    for (const [address] of REFUSED) {
      const literal = address.includes(":") ? `[${address}]` : address;
      errors.add((await post(`https://${literal}:8443/x`, true)).error as string);
    }
    // A name that resolves to nothing reads the same: the error never tells a name that exists
    // (privately) from one that does not.
    errors.add((await post("https://nowhere.hooks.test/hooks", true)).error as string);
    expect([...errors]).toEqual([REFUSED_ERROR]);
  });

  it("connects to the address it checked, asking the resolver once (a rebinding answer never reaches the connection); Host stays the name", async () => {
    const local = await receiver();
    let answers = 0;
    const lookups = hostsTable({
      "rebind.hooks.test": () => (answers++ === 0 ? ["127.0.0.1"] : ["10.0.0.7"]),
    });
    const result = await post(`http://rebind.hooks.test:${local.port}/hooks?x=1`, true);
    expect(result).toMatchObject({ ok: true, responseStatus: 204 });
    expect(lookups.get("rebind.hooks.test")).toBe(1);
    expect(local.requests).toEqual([{ host: `rebind.hooks.test:${local.port}`, path: "/hooks?x=1" }]);
    // The next attempt resolves again, gets the private address, and is refused.
    const again = await post(`http://rebind.hooks.test:${local.port}/hooks`, true);
    expect(again.error).toBe(REFUSED_ERROR);
    expect(local.requests).toHaveLength(1);
    await local.close();
  });

  it("refuses loopback (by name or literal) without a local store: nothing reaches the receiver", async () => {
    const local = await receiver();
    hostsTable({ "loop.hooks.test": ["127.0.0.1"] });
    for (const url of [
      `http://loop.hooks.test:${local.port}/x`,
      `http://127.0.0.1:${local.port}/x`,
      `http://[::ffff:127.0.0.1]:${local.port}/x`,
    ]) {
      expect((await post(url, false)).error, url).toBe(REFUSED_ERROR);
    }
    expect(local.requests).toEqual([]);
    await local.close();
  });

  it("sends the name as TLS SNI, not the address connected to", async () => {
    let servername: string | undefined;
    const server = tls.createServer({
      SNICallback: (name, callback) => {
        servername = name;
        callback(new Error("no certificate here"));
      },
    });
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    hostsTable({ "sni.hooks.test": ["127.0.0.1"] });
    const result = await post(`https://sni.hooks.test:${(server.address() as AddressInfo).port}/x`, true);
    expect(result.ok).toBe(false);
    expect(servername).toBe("sni.hooks.test");
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("records a refused endpoint's attempts with the one error, as failed attempts retried on schedule", async () => {
    const tenant = await seedTenant();
    setLocalDeliveryQueue({ send: async () => undefined });
    hostsTable({ "internal.hooks.test": ["10.20.30.40"], "metadata.hooks.test": ["169.254.169.254"] });
    for (const url of ["https://internal.hooks.test:6379/x", "https://metadata.hooks.test/latest"]) {
      const endpoint = await addEndpoint(tenant.tenantId, url);
      const created = new Date(Date.now() + 1000).toISOString();
      const eventId = `evt_01M8QM${url.length}${"R".repeat(18)}`.slice(0, 30);
      const summary = await dispatchDeliveries({
        tenantId: tenant.tenantId,
        endpointId: endpoint.id,
        kind: "first",
        deliveries: [
          {
            eventId,
            sequence: 1,
            attempts: 0,
            event: {
              id: eventId,
              type: "username.updated",
              created_time: created,
              data: {
                phone_number_id: "1",
                waba_id: "2",
                display_phone_number: "3",
                previous: {},
                source: "api",
                origin: "this_service",
              },
            },
          },
        ],
      });
      expect(summary).toMatchObject({ attempted: 1, retrying: 1, delivered: 0 });
      const [record] = (await getDeliveries([{ eventId, endpointId: endpoint.id }])).values();
      expect(record).toMatchObject({ status: "pending", attempts: 1, lastError: REFUSED_ERROR });
      expect(record?.lastResponseStatus).toBeUndefined();
      await removeEndpointById(endpoint.id);
    }
    setLocalDeliveryQueue(undefined);
  });
});

describe("an endpoint's answer", { timeout: 30_000 }, () => {
  it("keeps an excerpt without control, C1 or bidirectional characters, line breaks as spaces", async () => {
    const hostile = "oops\u001b[31m red\u009b2J\u202eevil\u2028line\u0085next\u200f\r\nend\ttab";
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => res.writeHead(500, { connection: "close" }).end(hostile));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const result = await post(`http://127.0.0.1:${port}/hooks`, true);
      expect(result.responseStatus).toBe(500);
      expect(result.responseExcerpt).toBe("oops[31m red2Jevillinenext end tab");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
