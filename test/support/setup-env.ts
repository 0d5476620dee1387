/** Runs in every test file before its imports: quiet logs, no API key cache across assertions. */
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.API_KEY_CACHE_TTL_MS ??= "0";
process.env.AWS_REGION ??= "local";
