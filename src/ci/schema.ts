/**
 * The JSON Schema (draft-07, which editors support best) of the ci config, made from the same field
 * table as the validator. The package ships it as `sge-inject.schema.json`; a test keeps that file
 * equal to this function's result and checks the schema and the validator agree on good and bad
 * configs. The one rule a schema cannot say, unique job names, is in the description.
 */
import { JOB_FIELDS, JOB_NAME_PATTERN, type FieldType } from './fields.js';

type Schema = { readonly [key: string]: unknown };

const SAFE = Number.MAX_SAFE_INTEGER;

/** A job with "fuse": true. */
const FUSING = { properties: { fuse: { const: true } }, required: ['fuse'] } as const;

function fieldSchema(type: FieldType): Schema {
  const path = { type: 'string', minLength: 1 };
  switch (type.kind) {
    case 'name':
      return { type: 'string', pattern: JOB_NAME_PATTERN };
    case 'file':
    case 'folder':
      return path;
    case 'folders':
      return { type: 'array', items: path };
    case 'patterns':
      return {
        type: 'array',
        items: { type: 'string', minLength: 1 },
        ...(type.minItems ? { minItems: type.minItems } : {}),
      };
    case 'boolean':
      return { type: 'boolean' };
    case 'integer':
      return {
        type: 'integer',
        ...(type.minimum !== undefined ? { minimum: type.minimum } : { minimum: -SAFE }),
        maximum: SAFE,
      };
    case 'number':
      return {
        type: 'number',
        ...(type.minimum !== undefined ? { minimum: type.minimum } : {}),
        ...(type.exclusiveMinimum !== undefined ? { exclusiveMinimum: type.exclusiveMinimum } : {}),
      };
    case 'shapes':
      return {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'integer', minimum: 1, maximum: SAFE } },
      };
    case 'dims':
      return { type: 'object', additionalProperties: { type: 'integer', minimum: 1, maximum: SAFE } };
  }
}

/** The schema of a `sge-inject ci` config file. */
export function ciConfigSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'sge-inject ci config',
    description:
      'Jobs of `sge-inject ci`: inject SGE into each model (or fuse the SGE it has), validate every site in onnxruntime, run its test data, check its latency. Paths are relative to this file. Job names must also be unique (ignoring case), which a schema cannot check; sge-inject does.',
    type: 'object',
    additionalProperties: false,
    required: ['jobs'],
    properties: {
      $schema: { type: 'string', description: 'This schema, for editors.' },
      jobs: { type: 'array', minItems: 1, items: { $ref: '#/definitions/job' } },
    },
    definitions: {
      job: {
        type: 'object',
        additionalProperties: false,
        required: JOB_FIELDS.filter((f) => f.required === true).map((f) => f.key),
        properties: Object.fromEntries(
          JOB_FIELDS.map((f) => [f.key, { description: f.description, ...fieldSchema(f.type) }]),
        ),
        // A fuse job takes none of inject's keys; any other job needs inject's required ones. (As
        // anyOf rather than if/then/else, whose `then` key would make this object a thenable.)
        anyOf: [
          {
            ...FUSING,
            not: { anyOf: JOB_FIELDS.filter((f) => f.injectOnly).map((f) => ({ required: [f.key] })) },
          },
          { not: FUSING, required: JOB_FIELDS.filter((f) => f.required === 'inject').map((f) => f.key) },
        ],
        dependencies: {
          inputs: { not: { anyOf: [{ required: ['shapes'] }, { required: ['dims'] }] } },
          maxLatencyRatio: { properties: { runs: { type: 'integer', minimum: 1 } } },
        },
      },
    },
  };
}
