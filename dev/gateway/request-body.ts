/**
 * How an API Gateway HTTP API (payload 2.0) hands a request body to Lambda. AWS does not
 * document which content types count as text; the split below is the one observed on live
 * AWS (ministackorg/ministack#766): `text/*`, `application/json`, `application/xml` and
 * `application/javascript` arrive as a UTF-8 string, everything else (a missing content type
 * and `application/x-www-form-urlencoded` included) base64-encoded. Bytes that are not valid
 * UTF-8 are base64-encoded whatever the content type, so the handler always gets them exactly.
 */

export interface EventBody {
  /** Absent for an empty body, as in API Gateway's event. */
  body?: string;
  isBase64Encoded: boolean;
}

const TEXT_TYPES = new Set(["application/json", "application/xml", "application/javascript"]);

export function isTextContentType(contentType: string | undefined): boolean {
  const essence = (contentType ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
  return essence.startsWith("text/") || TEXT_TYPES.has(essence);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function asUtf8(bytes: Buffer): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function encodeEventBody(bytes: Buffer, contentType: string | undefined): EventBody {
  if (bytes.length === 0) return { isBase64Encoded: false };
  const text = isTextContentType(contentType) ? asUtf8(bytes) : undefined;
  if (text !== undefined) return { body: text, isBase64Encoded: false };
  return { body: bytes.toString("base64"), isBase64Encoded: true };
}
