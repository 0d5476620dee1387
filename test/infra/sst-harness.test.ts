/**
 * The stand-ins test/infra/sst-stack.test.ts runs SST's components against: Pulumi's mocks and
 * the SST CLI's RPC server. What they do not know must fail loudly (an SST upgrade that needs
 * more of them is seen at once), and a function build must fail as the CLI's would.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "./sst/platform.ts";
import { awsMocks } from "./sst/pulumi-mocks.ts";
import { type RpcStub, startRpcStub } from "./sst/rpc-stub.ts";

describe("Pulumi mocks", () => {
  it("refuse a provider function they have no answer for, naming it", () => {
    const unknown: string[] = [];
    const mocks = awsMocks("us-east-1", unknown);
    expect(() => mocks.call({ token: "aws:ec2/getVpc:getVpc", inputs: {} })).toThrow(
      /have no answer for aws:ec2\/getVpc:getVpc/,
    );
    expect(unknown).toEqual(["aws:ec2/getVpc:getVpc"]);
  });

  it("render an IAM policy document from its statements, as the AWS provider does", () => {
    const mocks = awsMocks("us-east-1", []);
    const answer = mocks.call({
      token: "aws:iam/getPolicyDocument:getPolicyDocument",
      inputs: {
        statements: [
          { actions: ["dynamodb:GetItem"], resources: ["arn:aws:dynamodb:us-east-1:1:table/t"] },
          {
            effect: "Deny",
            actions: ["s3:*"],
            resources: ["*"],
            conditions: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
          },
        ],
      },
    });
    expect(JSON.parse(String(answer.json))).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["dynamodb:GetItem"], Resource: ["arn:aws:dynamodb:us-east-1:1:table/t"] },
        {
          Effect: "Deny",
          Action: ["s3:*"],
          Resource: ["*"],
          Condition: { Bool: { "aws:SecureTransport": ["false"] } },
        },
      ],
    });
    expect(answer.statements).toHaveLength(2);
    // No statements: no `statements` output, which SST's Function reads as "no inline policy".
    const empty = mocks.call({
      token: "aws:iam/getPolicyDocument:getPolicyDocument",
      inputs: { statements: [] },
    });
    expect(empty.statements).toBeUndefined();
  });

  it("give a Lambda the ARN AWS would", () => {
    const { id, state } = awsMocks("eu-west-1", []).newResource({
      type: "aws:lambda/function:Function",
      name: "GetUsernameFunction",
      inputs: { name: "app-dev-GetUsernameFunction-abc" },
      custom: true,
    });
    expect(id).toBe("app-dev-GetUsernameFunction-abc");
    expect((state as Record<string, unknown>).arn).toBe(
      "arn:aws:lambda:eu-west-1:123456789012:function:app-dev-GetUsernameFunction-abc",
    );
  });
});

describe("SST RPC stub", () => {
  let stub: RpcStub;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "rpc-stub-"));
    stub = await startRpcStub(ROOT, work);
  });

  afterAll(async () => {
    await stub?.close();
    await rm(work, { recursive: true, force: true });
  });

  async function call(method: string, args: Record<string, unknown>) {
    const response = await fetch(`${stub.url}/rpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "1.0", method, params: [args] }),
    });
    return (await response.json()) as { result?: Record<string, unknown>; error?: string };
  }

  it("answers a method it does not know with an error naming it", async () => {
    const answer = await call("Provider.Aws.Appsync", {});
    expect(answer.error).toMatch(/does not know Provider\.Aws\.Appsync/);
    expect(stub.unknownMethods).toContain("Provider.Aws.Appsync");
  });

  it("fails the build of a handler whose file does not exist, as the CLI does", async () => {
    const answer = await call("Runtime.Build", {
      functionID: "Missing",
      handler: "functions/username-api/missing.handler",
      runtime: "nodejs24.x",
      links: {},
    });
    expect(answer.error).toBe("Handler not found: functions/username-api/missing.handler");
  });

  it("builds a handler as the CLI lays it out, and reports the bundle's exports", async () => {
    const answer = await call("Runtime.Build", {
      functionID: "NotFound",
      handler: "functions/fallback/not-found.handler",
      runtime: "nodejs24.x",
      links: {},
      encryptionKey: Buffer.alloc(32, 3).toString("base64"),
    });
    expect(answer.result).toMatchObject({
      handler: "functions/fallback/not-found.handler",
      out: join(work, "artifacts", "NotFound-src"),
      errors: [],
    });
    expect(stub.builds.find((b) => b.functionID === "NotFound")?.exports).toContain("handler");
  }, 60_000);
});
