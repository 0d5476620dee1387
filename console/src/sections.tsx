/**
 * The console's sections: one navigation entry each, with the pages under its hash route
 * (`#/<id>/…`): phone numbers, webhook endpoints, API keys. A section is a plain object (an id,
 * a label, and a `render` that gets the signed-in context), so another is one entry here.
 * Routes carry ids only (a number's, an endpoint's), never a secret.
 */
import type { VNode } from "preact";
import type { ConsoleApi } from "./api/client.ts";
import type { ApiError } from "./api/errors.ts";
import { ApiKeysPage } from "./pages/api-keys.tsx";
import { NumberPage } from "./pages/number.tsx";
import { NumbersPage } from "./pages/numbers.tsx";
import { WebhookEndpointPage } from "./pages/webhook-endpoint.tsx";
import { WebhookEndpointsPage } from "./pages/webhook-endpoints.tsx";
import type { Route } from "./routes.ts";

export type { Route } from "./routes.ts";

/** What every page gets from the signed-in shell. */
export interface PageContext {
  api: ConsoleApi;
  route: Route;
  /** Goes to a hash route, e.g. `#/numbers`. */
  navigate(hash: string): void;
  /** Says `message` through the polite live region (status changes, completed actions). */
  announce(message: string): void;
  /** Every API failure passes here first: code 190 (key revoked) signs out. */
  onApiError(error: ApiError): void;
  /** Signs out, saying `reason` on the sign-in page (e.g. the person revoked this tab's own key). */
  signOut(reason?: string): void;
}

/** One navigation entry and the pages under its hash route. */
export interface Section {
  id: string;
  /** Its navigation entry's text. */
  label: string;
  render(context: PageContext): VNode;
}

/** The sections in navigation order; the first is where the console opens. */
export const SECTIONS: readonly Section[] = [
  {
    id: "numbers",
    label: "Phone numbers",
    render: (context) => {
      const [id] = context.route.rest;
      return id ? <NumberPage context={context} id={id} /> : <NumbersPage context={context} />;
    },
  },
  {
    id: "webhooks",
    label: "Webhook endpoints",
    render: (context) => {
      const [id] = context.route.rest;
      return id ? (
        <WebhookEndpointPage context={context} id={id} />
      ) : (
        <WebhookEndpointsPage context={context} />
      );
    },
  },
  {
    id: "api-keys",
    label: "API keys",
    render: (context) => <ApiKeysPage context={context} />,
  },
];
