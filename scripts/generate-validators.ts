import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { _, type KeywordCxt } from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { parse } from 'yaml';
import { FORMATS } from '../lambdas/core/openadr/formats';
import { writeOrCheck } from './generated-file';

/**
 * Generates lambdas/core/openadr/request-validators.generated.js: Ajv standalone validators of the
 * request schemas of spec/openadr3.yaml (OpenADR 3.1.0), so that no schema is compiled when a
 * function starts. `npm run generate:validators` writes it; `--check` fails if the file differs
 * from what the generator makes now (a test runs it).
 *
 * OpenAPI 3.0 is not quite JSON Schema; what is changed, and why:
 * - `discriminator` (on the payload descriptors' anyOf, and as the commented-out intent on the
 *   VEN and resource requests' oneOf, whose branches have disjoint objectType enums) becomes Ajv's
 *   discriminator on a oneOf, which picks the branch by objectType: the same values pass.
 * - `duration` gets format "duration": a value the spec's pattern allows must also be one Temporal
 *   holds. `dateTime`'s format "date-time" is RFC 3339 with the spec's special "0001-01-01", whose
 *   instant falls in years 0000-9999 in UTC (see formats.ts).
 * - x-nullAbsent (added to every object schema): an optional property sent as null is absent,
 *   and is deleted before the properties are checked. The validator thus changes its input:
 *   callers validate a copy.
 * - x-wellFormed (added to every string schema): a lone UTF-16 surrogate is refused, as DynamoDB
 *   stores strings as UTF-8, which cannot encode it.
 * - `example`, `default` and `description` are dropped: they validate nothing.
 */

const ROOT = join(__dirname, '..');
const SPEC = join(ROOT, 'spec', 'openadr3.yaml');
export const OUTPUT = join(ROOT, 'lambdas', 'core', 'openadr', 'request-validators.generated.js');

/** The request bodies the VTN validates, and those the VEN and resource routes will. */
export const REQUEST_SCHEMAS = [
  'programRequest',
  'eventRequest',
  'subscriptionRequest',
  'reportRequest',
  'venRequest',
  'resourceRequest',
] as const;

type Json = Record<string, any>;

const DISCRIMINATED = new Set(['venRequest', 'resourceRequest']);

function toJsonSchema(node: unknown, name?: string): any {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item));
  if (node === null || typeof node !== 'object') return node;
  const schema: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'default' || key === 'description') continue;
    if (key === '$ref') {
      schema.$ref = (value as string).replace('#/components/schemas/', '#/$defs/');
      continue;
    }
    // Property maps are names, not schemas: keep their keys as they are.
    schema[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toJsonSchema(v)])) : toJsonSchema(value);
  }
  if (schema.discriminator && schema.anyOf) {
    schema.oneOf = schema.anyOf;
    delete schema.anyOf;
  }
  if (name && DISCRIMINATED.has(name) && schema.oneOf) schema.discriminator = { propertyName: 'objectType' };
  if (name === 'duration') schema.format = 'duration';
  if (schema.type === 'string') schema['x-wellFormed'] = true;
  if (schema.type === 'object' && schema.properties) {
    const required = new Set<string>(schema.required ?? []);
    const optional = Object.keys(schema.properties).filter((key) => !required.has(key));
    if (optional.length > 0) schema['x-nullAbsent'] = optional;
  }
  withNumericExclusiveBounds(schema);
  return schema;
}

/** OpenAPI 3.0's boolean exclusiveMinimum/Maximum become JSON Schema's numbers, in place. */
export function withNumericExclusiveBounds(schema: Json): void {
  for (const [bound, exclusive] of [['minimum', 'exclusiveMinimum'], ['maximum', 'exclusiveMaximum']]) {
    if (typeof schema[exclusive] === 'boolean') {
      if (schema[exclusive]) schema[exclusive] = schema[bound];
      else delete schema[exclusive];
      if (schema[exclusive] !== undefined) delete schema[bound];
    }
  }
}

/** For each discriminator, keyed `<schema>#<path in it>`: the values its branches accept. */
function discriminatorTags(schemas: Json): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  const walk = (node: unknown, root: string, path: string): void => {
    if (node === null || typeof node !== 'object') return;
    const schema = node as Json;
    if (schema.discriminator && Array.isArray(schema.oneOf)) {
      const property = schema.discriminator.propertyName as string;
      found[`${root}#${path}/discriminator`] = schema.oneOf.flatMap((branch: Json) => {
        const target = branch.$ref ? schemas[(branch.$ref as string).replace('#/$defs/', '')] : branch;
        return (target.properties?.[property]?.enum ?? []) as string[];
      });
    }
    for (const [key, value] of Object.entries(schema)) walk(value, root, `${path}/${key}`);
  };
  for (const [name, schema] of Object.entries(schemas)) walk(schema, name, '');
  return found;
}

export function generate(): string {
  const document = parse(readFileSync(SPEC, 'utf8')) as Json;
  const schemas = Object.fromEntries(Object.entries(document.components.schemas as Json).map(([name, schema]) => [name, toJsonSchema(schema, name)]));
  const ajv = new Ajv({
    allErrors: true,
    discriminator: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    code: { source: true, lines: true, formats: _`require("./formats").FORMATS` },
    formats: FORMATS as any,
    keywords: [
      {
        keyword: 'x-wellFormed',
        type: 'string',
        schemaType: 'boolean',
        code(cxt: KeywordCxt) {
          cxt.fail(_`/\\p{Cs}/u.test(${cxt.data})`);
        },
      },
      {
        keyword: 'x-nullAbsent',
        type: 'object',
        schemaType: 'array',
        modifying: true,
        before: 'properties',
        code(cxt: KeywordCxt) {
          for (const key of cxt.schema as string[]) {
            cxt.gen.if(_`Object.hasOwn(${cxt.data}, ${key}) && ${cxt.data}[${key}] === null`, () => cxt.gen.code(_`delete ${cxt.data}[${key}]`));
          }
        },
      },
    ],
  });
  ajv.addSchema({ $id: 'openadr3', $defs: schemas });
  const refs = Object.fromEntries(REQUEST_SCHEMAS.map((name) => [name, `openadr3#/$defs/${name}`]));
  const code = standaloneCode(ajv, refs);
  const tags = JSON.stringify(discriminatorTags(schemas));
  return (
    `// Generated by scripts/generate-validators.ts from spec/openadr3.yaml (OpenADR 3.1.0,\n` +
    `// Apache-2.0, see spec/NOTICE). Do not edit: run \`npm run generate:validators\`.\n${code}\n` +
    `// The objectType values each discriminator accepts, by the schema path Ajv reports.\n` +
    `exports.discriminatorTags = ${tags};\n`
  );
}

if (require.main === module) writeOrCheck(OUTPUT, generate(), 'generate:validators');
