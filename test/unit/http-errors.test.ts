import { describe, expect, it } from "vitest";
import { errorResponse } from "../../functions/core/http/http-handler.ts";

describe("errorResponse", () => {
  it("answers middy's early timeout as 504 code 2, not as a storage fault", () => {
    const deadline = Object.assign(
      new Error("[AbortError]: The operation was aborted.", { cause: { package: "@middy/core" } }),
      {
        name: "TimeoutError",
      },
    );
    const answer = errorResponse(deadline, "req-1");
    expect(answer.statusCode).toBe(504);
    expect(JSON.parse(String(answer.body)).error).toMatchObject({ code: 2, is_transient: true });
  });

  it("answers the SDK's socket timeout as 503 storage unavailable", () => {
    const socket = Object.assign(new Error("socket timed out"), { name: "TimeoutError" });
    const answer = errorResponse(socket, "req-2");
    expect(answer.statusCode).toBe(503);
    expect(JSON.parse(String(answer.body)).error.error_data.details).toBe("storage temporarily unavailable");
  });

  it("answers anything else as 500 code 1 without its message", () => {
    const answer = errorResponse(new Error("secret-ish detail"), "req-3");
    expect(answer.statusCode).toBe(500);
    expect(answer.body).not.toContain("secret-ish");
  });
});
