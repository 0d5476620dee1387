/**
 * Meta's Graph API as the sandbox answers it, for the username edges: which paths and methods
 * exist, the gate every call passes first (token, the number it may see, permission,
 * registration, in Meta's order), then username-rules.ts for the edge's own answer, with the
 * usage header Meta puts on every answer about a number.
 */
import { type GraphReply, graphError } from "./graph-reply.ts";
import type { PhoneStore } from "./phone-store.ts";
import type { SandboxPhone } from "./sandbox-phone.ts";
import { claimUsername, releaseUsername, suggestUsernames, usernameOf } from "./username-rules.ts";

export interface GraphRequest {
  method: string;
  /** Path without the query string. */
  pathname: string;
  authorization: string | undefined;
  body: string;
}

const VERSION = /^v\d+\.\d+$/;
const EDGE_METHODS = new Map<string, readonly string[]>([
  ["username", ["GET", "POST", "DELETE"]],
  ["username_suggestions", ["GET"]],
]);

const unknownPath = (pathname: string): GraphReply =>
  graphError(400, {
    message: `(#100) Unknown path components: ${pathname}`,
    type: "OAuthException",
    code: 100,
  });

const BAD_TOKEN_MESSAGE = "Invalid OAuth access token - Cannot parse access token";
/** Graph's 401 carries its OAuth challenge in WWW-Authenticate. */
const badToken = (): GraphReply => ({
  ...graphError(401, { message: BAD_TOKEN_MESSAGE, type: "OAuthException", code: 190 }),
  headers: { "www-authenticate": `OAuth "Facebook Platform" "invalid_token" "${BAD_TOKEN_MESSAGE}"` },
});

type Gate = { phone: SandboxPhone } | { reply: GraphReply };

/**
 * A Graph request (`/<vX.Y>/<phone id>/username` or `/username_suggestions`) → Meta's answer.
 * Unknown paths and versions: 400 code 100; a method the edge lacks: 400 code 100
 * (GraphMethodException); then the gate's refusals (401 code 190, 400 code 33, 403 code 10, 400
 * code 133010); then the edge: GET `{ username?, status? }`, POST and DELETE as username-rules.ts
 * says (DELETE's reply carries the webhook to send), suggestions `{ data: [{ username_suggestions:
 * [...] }] }`. Past the gate, every answer has `x-business-use-case-usage`. Changes the stored
 * records as the rules say.
 */
export function answerGraph(req: GraphRequest, phones: PhoneStore): GraphReply {
  const [root, version, rawId, edge, ...rest] = req.pathname.split("/");
  const methods = edge === undefined ? undefined : EDGE_METHODS.get(edge);
  const id = rawId === undefined ? undefined : safeDecode(rawId);
  if (root !== "" || rest.length > 0 || !version || !VERSION.test(version) || !id || !methods) {
    return unknownPath(req.pathname);
  }
  if (!methods.includes(req.method)) {
    return graphError(400, {
      message: `Unsupported ${req.method.toLowerCase()} request.`,
      type: "GraphMethodException",
      code: 100,
    });
  }
  const gate = passGate(req, id, phones);
  if ("reply" in gate) return gate.reply;
  const reply = answerEdge(req, edge, gate.phone, phones);
  reply.headers = { ...reply.headers, "x-business-use-case-usage": usageHeader(gate.phone) };
  return reply;
}

function answerEdge(
  req: GraphRequest,
  edge: string | undefined,
  phone: SandboxPhone,
  phones: PhoneStore,
): GraphReply {
  if (edge === "username_suggestions") {
    return { status: 200, body: { data: [{ username_suggestions: suggestUsernames(phone, phones) }] } };
  }
  if (req.method === "POST") return claimUsername(phone, req.body, phones);
  if (req.method === "DELETE") return releaseUsername(phone);
  return usernameOf(phone);
}

/** Checks 1-4 of every endpoint: token, phone, permission, registration. */
function passGate(req: GraphRequest, id: string, phones: PhoneStore): Gate {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? "")?.[1];
  if (token === undefined) return { reply: badToken() };
  const phone = phones.find(id);
  if (!phone || phone.accessToken !== token) {
    if (!phones.knowsToken(token)) return { reply: badToken() };
    // A valid token that cannot see this id: Meta does not say whether the id exists.
    return {
      reply: graphError(400, {
        message: `Unsupported ${req.method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`,
        type: "GraphMethodException",
        code: 33,
      }),
    };
  }
  if (!phone.permitted) {
    return {
      reply: graphError(403, {
        message: "(#10) Application does not have permission for this action",
        type: "OAuthException",
        code: 10,
        details: "The access token is missing the whatsapp_business_management permission for this asset.",
      }),
    };
  }
  if (!phone.registered) {
    return {
      reply: graphError(400, {
        message: "(#133010) Account not registered",
        type: "OAuthException",
        code: 133010,
        details: "This phone number is not registered for use with the WhatsApp Business Platform.",
      }),
    };
  }
  return { phone };
}

/** Meta's usage of the number's WhatsApp Business account, as it reports it on every call. */
function usageHeader(phone: SandboxPhone): string {
  return JSON.stringify({
    [phone.wabaId]: [
      {
        type: "whatsapp_business_management",
        call_count: 1,
        total_cputime: 1,
        total_time: 1,
        estimated_time_to_regain_access: 0,
      },
    ],
  });
}

/** A malformed percent escape is Graph's unknown path, not a sandbox failure. */
function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
