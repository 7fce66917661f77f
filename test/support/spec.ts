import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { withNumericExclusiveBounds } from '../../scripts/generate-validators';

/** The normative OpenAPI document, beside the project as CI lays it out. */
export const SPEC_PATH = resolve(__dirname, '../../../shared/openadr3-spec/3.1.0/openadr3.yaml');

export function specAvailable(): boolean {
  return existsSync(SPEC_PATH);
}

type Json = Record<string, any>;

/**
 * Validates responses against the response schemas of the spec's OpenAPI 3.0 document.
 * OpenAPI 3.0 is not quite JSON Schema: `nullable` is kept (Ajv understands it), `discriminator`
 * and `example` are dropped (the discriminator only narrows anyOf/oneOf, which Ajv checks anyway),
 * boolean exclusive bounds become numeric ones, and the int32/float formats are checked.
 */
export class SpecValidator {
  private readonly ajv: Ajv;
  private readonly document: Json;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(specPath = SPEC_PATH) {
    this.document = withSatisfiableObjectTypes(withoutOpenApiOnlyKeywords(parse(readFileSync(specPath, 'utf8'))));
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
    this.ajv.addFormat('float', { type: 'number', validate: (n: number) => Number.isFinite(n) });
    this.ajv.addSchema({ ...this.document, $id: 'openadr3.json' });
  }

  /** Errors of `body` against the schema the spec gives for this operation and status; [] if valid. */
  errors(method: string, pathTemplate: string, status: number, body: unknown): string[] {
    return this.check(this.responseSchemaPointer(method, pathTemplate, status), body);
  }

  /** Whether the spec has this operation. */
  defines(method: string, pathTemplate: string): boolean {
    return Boolean(this.document.paths?.[pathTemplate]?.[method.toLowerCase()]);
  }

  /** For answers to paths or methods the spec does not define: a `problem`. */
  problemErrors(body: unknown): string[] {
    return this.check('/components/schemas/problem', body);
  }

  private check(pointer: string, body: unknown): string[] {
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openadr3.json#${pointer}` });
      this.validators.set(pointer, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
  }

  private responseSchemaPointer(method: string, pathTemplate: string, status: number): string {
    const operation = this.document.paths?.[pathTemplate]?.[method.toLowerCase()];
    if (!operation && status >= 400) return '/components/schemas/problem';
    if (!operation) throw new Error(`the spec has no operation ${method} ${pathTemplate}`);
    let response = operation.responses[String(status)];
    let pointer = `/paths/${escape(pathTemplate)}/${method.toLowerCase()}/responses/${status}`;
    // Statuses the operation does not list (413, 503) still answer with the spec's `problem`.
    if (!response && status >= 400) return '/components/schemas/problem';
    if (!response) throw new Error(`the spec gives no ${status} response for ${method} ${pathTemplate}`);
    if (response.$ref) {
      pointer = (response.$ref as string).slice(1);
      response = this.document.components.responses[pointer.split('/').pop() as string];
    }
    if (!response.content?.['application/json']?.schema) throw new Error(`no JSON schema for ${status} of ${method} ${pathTemplate}`);
    return `${pointer}/content/application~1json/schema`;
  }
}

/**
 * The spec's `ven` and `resource` are allOf objectMetadata (objectType VEN, RESOURCE) and the BL
 * request schema (objectType BL_VEN_REQUEST, BL_RESOURCE_REQUEST), which no object satisfies.
 * Responses carry VEN and RESOURCE, checked by objectMetadata; the request's enum is dropped there.
 */
function withSatisfiableObjectTypes(document: Json): Json {
  const schemas = document.components.schemas as Json;
  for (const [response, request] of [['ven', 'BlVenRequest'], ['resource', 'BlResourceRequest']]) {
    const { objectType: _requestType, ...properties } = schemas[request].properties;
    schemas[response].allOf = schemas[response].allOf.map((part: Json) =>
      part.$ref === `#/components/schemas/${request}` ? { ...schemas[request], required: schemas[request].required.filter((name: string) => name !== 'objectType'), properties } : part,
    );
  }
  return document;
}

function escape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function withoutOpenApiOnlyKeywords(node: unknown): any {
  if (Array.isArray(node)) return node.map(withoutOpenApiOnlyKeywords);
  if (node === null || typeof node !== 'object') return node;
  const schema: Json = Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => key !== 'discriminator' && key !== 'example')
      .map(([key, value]) => [key, withoutOpenApiOnlyKeywords(value)]),
  );
  withNumericExclusiveBounds(schema);
  return schema;
}
