/**
 * The one configured logger. Structured JSON (Powertools); the correlation id is the API
 * Gateway request id, set per invocation by the HTTP middleware. Never pass secrets, tokens,
 * API keys or raw request bodies to it: log ids and outcomes only.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { SERVICE_NAME } from "./service.ts";

export const logger = new Logger({ serviceName: SERVICE_NAME });
