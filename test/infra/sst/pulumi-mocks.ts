/**
 * What Pulumi's engine and AWS would answer, for `@pulumi/pulumi`'s unit-test mode
 * (`runtime.setMocks`): each resource gets an id and the outputs AWS would give it (ARNs, the
 * API's endpoint), and each provider function (an "invoke": the region, the account, an IAM
 * policy document) gets its answer. Inputs pass through as outputs, as Pulumi's own examples do.
 *
 * A function call this file does not know throws, naming it: an SST upgrade that starts calling
 * a new one fails at once instead of running on a guess (README, "Upgrading SST").
 */

export const ACCOUNT_ID = "123456789012";

export interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  custom?: boolean;
  id?: string;
}

export interface MockCallArgs {
  token: string;
  inputs: Record<string, unknown>;
}

/** The mocks for one stack in `region`; `unknownCalls` collects what `call` refused. */
export function awsMocks(region: string, unknownCalls: string[]) {
  return {
    newResource({ type, name, inputs, custom }: MockResourceArgs) {
      // Components (SST's own, Pulumi's stack) have no cloud counterpart.
      if (!custom) return { id: undefined, state: inputs };
      const physical = typeof inputs.name === "string" ? inputs.name : autoName(name);
      return {
        id: physical,
        state: { name: physical, ...inputs, ...outputsOf(type, physical, inputs, region) },
      };
    },
    call({ token, inputs }: MockCallArgs): Record<string, unknown> {
      const answer = CALLS[token];
      if (!answer) {
        unknownCalls.push(token);
        throw new Error(
          `The Pulumi mocks (test/infra/sst/pulumi-mocks.ts) have no answer for ${token}: ` +
            "add one that returns what AWS would (README, Upgrading SST).",
        );
      }
      return answer(inputs, region);
    },
  };
}

/** Pulumi's auto-naming: the logical name and a random suffix (here derived from the name). */
function autoName(logical: string): string {
  let hash = 0;
  for (const char of logical) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return `${logical}-${hash.toString(16).padStart(7, "0").slice(0, 7)}`;
}

/** The outputs AWS computes that SST's components read back. */
function outputsOf(
  type: string,
  physical: string,
  inputs: Record<string, unknown>,
  region: string,
): Record<string, unknown> {
  const arn = (service: string, resource: string, regional = true) =>
    `arn:aws:${service}:${regional ? region : ""}:${ACCOUNT_ID}:${resource}`;
  switch (type) {
    case "aws:lambda/function:Function": {
      const functionArn = arn("lambda", `function:${physical}`);
      return {
        arn: functionArn,
        qualifiedArn: `${functionArn}:$LATEST`,
        invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`,
      };
    }
    case "aws:dynamodb/table:Table":
      return {
        arn: arn("dynamodb", `table/${physical}`),
        ...(inputs.streamEnabled
          ? { streamArn: arn("dynamodb", `table/${physical}/stream/2025-01-01T00:00:00.000`) }
          : {}),
      };
    case "aws:iam/role:Role":
      return { arn: arn("iam", `role/${physical}`, false) };
    case "aws:cloudwatch/logGroup:LogGroup":
      return { arn: arn("logs", `log-group:${physical}`) };
    case "aws:apigatewayv2/api:Api":
      return {
        arn: `arn:aws:apigateway:${region}::/apis/${physical}`,
        apiEndpoint: `https://${physical}.execute-api.${region}.amazonaws.com`,
        executionArn: arn("execute-api", physical),
      };
    case "aws:apigatewayv2/stage:Stage":
      return {
        arn: `arn:aws:apigateway:${region}::/apis/${String(inputs.apiId)}/stages/${physical}`,
        invokeUrl: `https://${String(inputs.apiId)}.execute-api.${region}.amazonaws.com/${physical}`,
      };
    case "aws:sqs/queue:Queue":
      return {
        arn: arn("sqs", physical),
        url: `https://sqs.${region}.amazonaws.com/${ACCOUNT_ID}/${physical}`,
      };
    case "random:index/randomBytes:RandomBytes":
      // The key SST encrypts each function's linked resources with (resource.enc).
      return { base64: Buffer.alloc(Number(inputs.length ?? 32), 7).toString("base64") };
    default: {
      // An ARN of the usual shape; a component that reads another output of its resource gets
      // undefined, which the assertions show: then add the resource here.
      const [, module = "unknown"] = /^aws:([^/]+)\//.exec(type) ?? [];
      return { arn: arn(module, physical) };
    }
  }
}

type CallAnswer = (inputs: Record<string, unknown>, region: string) => Record<string, unknown>;

const CALLS: Record<string, CallAnswer> = {
  "aws:index/getRegion:getRegion": (_inputs, region) => ({
    id: region,
    name: region,
    region,
    description: region,
    endpoint: `ec2.${region}.amazonaws.com`,
  }),
  "aws:index/getPartition:getPartition": () => ({
    id: "aws",
    partition: "aws",
    dnsSuffix: "amazonaws.com",
    reverseDnsPrefix: "com.amazonaws",
  }),
  "aws:index/getCallerIdentity:getCallerIdentity": () => ({
    id: ACCOUNT_ID,
    accountId: ACCOUNT_ID,
    arn: `arn:aws:iam::${ACCOUNT_ID}:user/infra-test`,
    userId: "AIDAINFRATEST",
  }),
  "aws:iam/getPolicyDocument:getPolicyDocument": (inputs) => {
    // Like the provider, the answer carries the statements it was given (none: absent, which
    // SST's Function reads as "no inline policy") along with the JSON.
    const document = policyDocument(inputs);
    const statements = (inputs.statements ?? []) as unknown[];
    return {
      ...(statements.length > 0 ? { statements } : {}),
      id: "policy",
      json: JSON.stringify(document, null, 2),
      minifiedJson: JSON.stringify(document),
    };
  },
};

interface StatementInput {
  sid?: string;
  effect?: string;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** The IAM JSON `aws.iam.getPolicyDocument` renders from its statements. */
function policyDocument(inputs: Record<string, unknown>) {
  const statements = (inputs.statements ?? []) as StatementInput[];
  return {
    Version: (inputs.version as string | undefined) ?? "2012-10-17",
    Statement: statements.map((s) => {
      const conditions: Record<string, Record<string, string[]>> = {};
      for (const c of s.conditions ?? []) {
        conditions[c.test] = { ...conditions[c.test], [c.variable]: c.values };
      }
      return {
        ...(s.sid ? { Sid: s.sid } : {}),
        Effect: s.effect ?? "Allow",
        ...(s.actions ? { Action: s.actions } : {}),
        ...(s.notActions ? { NotAction: s.notActions } : {}),
        ...(s.resources ? { Resource: s.resources } : {}),
        ...(s.notResources ? { NotResource: s.notResources } : {}),
        ...(s.principals
          ? { Principal: Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers])) }
          : {}),
        ...(Object.keys(conditions).length > 0 ? { Condition: conditions } : {}),
      };
    }),
  };
}
