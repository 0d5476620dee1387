/** JSON Schema (2020-12, the dialect of OpenAPI 3.1) from the zod schemas the handlers validate with. */
import { toJSONSchema, type z } from "zod/mini";

export type JsonSchema = Record<string, unknown>;

/**
 * The schema as a client must send or may receive it (`io: "input"`): objects stay open, as the
 * service drops unknown request fields and Meta adds response fields. Anything zod cannot
 * express throws, so a schema change cannot silently vanish from the document.
 */
export function jsonSchemaOf(schema: z.core.$ZodType): JsonSchema {
  const { $schema: _dialect, ...rest } = toJSONSchema(schema, {
    target: "draft-2020-12",
    io: "input",
    unrepresentable: "throw",
  }) as JsonSchema;
  return rest;
}

/** The property schemas of an object schema, by name. */
export function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties) throw new Error("expected an object schema with properties");
  return properties;
}

/** Adds descriptions to named properties; a name the schema lacks throws (the schema changed). */
export function describeProperties(schema: JsonSchema, descriptions: Record<string, string>): JsonSchema {
  const properties = propertiesOf(schema);
  for (const [name, description] of Object.entries(descriptions)) {
    const property = properties[name];
    if (!property) throw new Error(`schema has no property '${name}' to describe`);
    properties[name] = { description, ...property };
  }
  return schema;
}
