/** Where a bundle's bytes come from, grouped the way the cold-start figures are discussed. */
import type { Metafile } from "esbuild";

const GROUPS: Array<[string, RegExp]> = [
  ["AWS SDK: SQS client", /node_modules\/@aws-sdk\/client-sqs\//],
  [
    "AWS SDK: DynamoDB client, smithy, credentials",
    /node_modules\/(@aws-sdk\/(?!lib-dynamodb|util-dynamodb)|@smithy\/|@aws\/|mnemonist|obliterator|tslib|fast-xml-parser|strnum|bowser|uuid)/,
  ],
  ["@aws-sdk/lib-dynamodb + util-dynamodb", /node_modules\/@aws-sdk\/(lib-dynamodb|util-dynamodb)/],
  ["zod/mini", /node_modules\/zod\//],
  ["Powertools logger", /node_modules\/@aws-lambda-powertools\//],
  ["middy", /node_modules\/@middy\//],
  [
    "standardwebhooks (+ fast-sha256, @stablelib/base64)",
    /node_modules\/(standardwebhooks|fast-sha256|@stablelib)\//,
  ],
  ["sst (Resource)", /node_modules\/sst\//],
  ["service code (functions/, bench/)", /^(functions|bench)\//],
];

/** Bytes per group in the bundle's single output; whatever matches no group is "other". */
export function composition(metafile: Metafile): Map<string, number> {
  const sizes = new Map<string, number>(GROUPS.map(([name]) => [name, 0]));
  sizes.set("other", 0);
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const group = GROUPS.find(([, pattern]) => pattern.test(path))?.[0] ?? "other";
      sizes.set(group, (sizes.get(group) ?? 0) + input.bytesInOutput);
    }
  }
  return sizes;
}
