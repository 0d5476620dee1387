/**
 * What the control API shows of the sandbox's state over HTTP: everything but the access
 * tokens, which it masks wherever they appear (a phone's `accessToken`; a recorded request's
 * `Authorization` header and `access_token` parameter, in the query string or the body). The
 * sandbox's own methods (tests in the same process) still see the tokens.
 */
import type { RecordedRequest } from "./request-log.ts";
import type { SandboxPhone } from "./sandbox-phone.ts";

/** The first and last 4 characters of a long token (enough to tell two apart), nothing of a short one. */
export function maskToken(token: string): string {
  return token.length >= 16 ? `${token.slice(0, 4)}…${token.slice(-4)}` : "…";
}

export function phoneView(phone: SandboxPhone): SandboxPhone {
  return { ...phone, accessToken: maskToken(phone.accessToken) };
}

function maskAccessTokenParameter(text: string): string {
  return text.replace(/(^|[?&])access_token=([^&#]*)/g, (_, lead: string, value: string) => {
    return `${lead}access_token=${encodeURIComponent(maskToken(decodeURIComponent(value)))}`;
  });
}

function maskBody(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === "object" && "access_token" in parsed) {
      const { access_token: token } = parsed as { access_token: unknown };
      return JSON.stringify({ ...parsed, access_token: maskToken(String(token)) });
    }
    return body;
  } catch {
    return maskAccessTokenParameter(body);
  }
}

export function requestView(request: RecordedRequest): RecordedRequest {
  const headers = { ...request.headers };
  if (headers.authorization !== undefined) {
    const [scheme = "", ...rest] = headers.authorization.split(" ");
    headers.authorization = rest.length > 0 ? `${scheme} ${maskToken(rest.join(" "))}` : maskToken(scheme);
  }
  return {
    ...request,
    path: maskAccessTokenParameter(request.path),
    headers,
    body: maskBody(request.body),
  };
}
