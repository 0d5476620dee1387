/**
 * The one configured logger. Structured JSON (Powertools); the correlation id is the API
 * Gateway request id, set per invocation by the HTTP middleware. Never pass secrets, tokens,
 * API keys or raw request bodies to it: log ids and outcomes only.
 */
import { Logger } from "@aws-lambda-powertools/logger";

export const logger = new Logger({ serviceName: "whatsapp-usernames" });
