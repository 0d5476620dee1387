/**
 * The service's Lambdas driven in-process with real API Gateway (payload 2.0) events, and the
 * same upstream requests made directly to the sandbox, so the two can be timed side by side.
 */
import { resolve } from "node:path";
import { routes } from "../infra/routes.ts";
import { buildWebhookPayload, type WebhookEvent } from "../meta-sandbox/index.ts";
import { type Answer, apiEvent, type Handler, invoke } from "../test/support/lambda.ts";
import { APP_SECRET, type BenchPhone } from "./environment.ts";
import { signedDeliveryEvent } from "./signed-delivery.ts";

export const ENDPOINTS = [
  "GET username",
  "GET username_suggestions",
  "POST username",
  "DELETE username",
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

const GRAPH_VERSION = "v24.0";

function routeOf(endpoint: Endpoint | "POST webhook") {
  const [method, edge] = endpoint.split(" ") as [string, string];
  const route = routes.find((r) => r.method === method && r.path.endsWith(`/${edge}`));
  if (!route) throw new Error(`infra/routes.ts has no route for ${endpoint}`);
  return route;
}

export interface Service {
  call(endpoint: Endpoint, phone: BenchPhone, apiKey: string, body?: unknown): Promise<Answer>;
  deliver(events: readonly WebhookEvent[]): Promise<Answer>;
}

export async function loadService(): Promise<Service> {
  const handlers = new Map<string, Handler>();
  for (const route of routes) {
    if (handlers.has(route.handler)) continue;
    const module = await import(resolve(import.meta.dirname, "..", route.handler));
    handlers.set(route.handler, module.handler as Handler);
  }
  const handlerOf = (endpoint: Endpoint | "POST webhook") => {
    const route = routeOf(endpoint);
    return { route, handler: handlers.get(route.handler) as Handler };
  };
  return {
    call(endpoint, phone, apiKey, body) {
      const { route, handler } = handlerOf(endpoint);
      return invoke(
        handler,
        apiEvent({
          method: route.method,
          routePath: route.path,
          pathParameters: { version: GRAPH_VERSION, phone_number_id: phone.phoneNumberId },
          headers: {
            "x-api-key": apiKey,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    },
    deliver(events) {
      const { route, handler } = handlerOf("POST webhook");
      const body = JSON.stringify(buildWebhookPayload(events));
      return invoke(handler, signedDeliveryEvent(route.path, body, APP_SECRET));
    },
  };
}

/** The request the service makes upstream for `endpoint`, made directly to the sandbox. */
export async function callSandboxDirectly(
  sandboxUrl: string,
  endpoint: Endpoint,
  phone: BenchPhone,
  body?: unknown,
): Promise<number> {
  const [method, edge] = endpoint.split(" ") as [string, string];
  const response = await fetch(`${sandboxUrl}/${GRAPH_VERSION}/${phone.phoneNumberId}/${edge}`, {
    method,
    headers: {
      authorization: `Bearer ${phone.accessToken}`,
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.text();
  return response.status;
}
