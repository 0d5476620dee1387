/** Runs in every test file before its imports: quiet logs, no API key cache across assertions. */
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.API_KEY_CACHE_TTL_MS ??= "0";
process.env.AWS_REGION ??= "local";
// The write limit stays on (its counter write is part of every POST/DELETE), but high enough that
// only the tests that lower it (test/reliability/) ever reach it.
process.env.TENANT_WRITE_LIMIT_PER_MINUTE ??= "1000000";
