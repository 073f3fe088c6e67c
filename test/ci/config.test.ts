/**
 * The ci config: every bad config is refused naming the job and the key, the JSON Schema shipped for
 * editors is the one the field table makes, and the schema (checked by ajv, an independent validator)
 * and our validator agree on good and bad configs, including seeded random mutations. Selection:
 * --only and the --shard rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parseCiConfig, type CiJob } from '../../src/ci/config.js';
import { JOB_FIELDS } from '../../src/ci/fields.js';
import { ciConfigSchema } from '../../src/ci/schema.js';
import { parseShard, selectJobs } from '../../src/ci/select.js';
import { InputError, UsageError } from '../../src/errors.js';
import { createPrng } from '../../src/validate/prng.js';
import { ROOT } from '../cli/helpers.js';

const GOOD_JOB = {
  name: 'resnet50',
  model: 'models/resnet50.onnx',
  after: ['*/conv3/Conv'],
  exclude: [],
  groups: 64,
  params: 'resnet50.sge.json',
  inline: false,
  testData: ['models/resnet50_sge/test_data_set_0'],
  rtol: 1e-4,
  atol: 1e-5,
  maxLatencyRatio: 1.15,
};

function problemOf(config: unknown): string {
  try {
    parseCiConfig(JSON.stringify(config), 'sge-inject.json');
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return (err as Error).message;
  }
  throw new Error('the config was accepted');
}

describe('parseCiConfig', () => {
  it("accepts the issue's example and the repository's own sge-inject.json", () => {
    expect(parseCiConfig(JSON.stringify({ jobs: [GOOD_JOB] }), 'x').jobs).toEqual([GOOD_JOB]);
    const own = parseCiConfig(readFileSync(join(ROOT, 'sge-inject.json'), 'utf8'), 'sge-inject.json');
    expect(own.jobs.map((j) => j.name)).toEqual(['mini-resnet-op13', 'mini-resnet-op17-inline', 'mini-vgg-caffe']);
  });

  it('names the job and the key: unknown keys (with the nearest), wrong types, missing keys', () => {
    expect(problemOf({ jobs: [{ ...GOOD_JOB, aftr: ['x'] }] })).toBe(
      'sge-inject.json: job "resnet50" (jobs[0]): unknown key "aftr" (did you mean "after"?)',
    );
    expect(problemOf({ jobs: [GOOD_JOB, { ...GOOD_JOB, name: 'b', groups: '64' }] })).toBe(
      'sge-inject.json: job "b" (jobs[1]): "groups" must be a whole number of at least 1, got "64"',
    );
    expect(problemOf({ jobs: [{ ...GOOD_JOB, groups: 0 }] })).toMatch(/"groups" must be at least 1, got 0/);
    expect(problemOf({ jobs: [{ ...GOOD_JOB, testData: 'dir' }] })).toMatch(/"testData" must be a list of folder/);
    expect(problemOf({ jobs: [{ ...GOOD_JOB, maxLatencyRatio: 0 }] })).toMatch(/"maxLatencyRatio" must be more than 0/);
    expect(problemOf({ jobs: [{ ...GOOD_JOB, inline: 'yes' }] })).toMatch(/"inline" must be true or false/);
    expect(problemOf({ jobs: [{ ...GOOD_JOB, timeout: 0 }] })).toMatch(/"timeout" must be more than 0/);
    expect(problemOf({ jobs: [{ ...GOOD_JOB, timeout: '5' }] })).toMatch(/"timeout" must be a number/);
    const { model: _, ...noModel } = GOOD_JOB;
    expect(problemOf({ jobs: [noModel] })).toBe('sge-inject.json: job "resnet50" (jobs[0]): "model" is missing');
    expect(problemOf({ jobs: [42] })).toMatch(/jobs\[0\]: must be an object/);
    // Every problem at once, one line each.
    const many = problemOf({ jobs: [{ ...GOOD_JOB, aftr: 1, groups: -1, rtol: 'x' }] });
    expect(many).toMatch(/^sge-inject\.json: 3 problems:\n {2}- .*"groups".*\n {2}- .*"rtol".*\n {2}- .*"aftr"/);
  });

  it('refuses duplicate names (ignoring case: they name files), empty jobs, and names unsafe as file names', () => {
    expect(problemOf({ jobs: [GOOD_JOB, GOOD_JOB] })).toBe(
      'sge-inject.json: job "resnet50" (jobs[1]): "name" repeats the name of jobs[0]',
    );
    expect(problemOf({ jobs: [GOOD_JOB, { ...GOOD_JOB, name: 'ResNet50' }] })).toMatch(/ignoring case/);
    expect(problemOf({ jobs: [] })).toBe('sge-inject.json: "jobs" is empty: give at least one job');
    expect(problemOf({})).toBe('sge-inject.json: "jobs" is missing');
    expect(problemOf({ jobs: {} })).toMatch(/"jobs" must be a list of jobs/);
    expect(problemOf({ jobs: [GOOD_JOB], job: [] })).toMatch(/unknown top-level key "job" \(did you mean "jobs"\?\)/);
    for (const name of ['../evil', '.hidden', '-x', 'a/b', '', 'x'.repeat(101), 'sp ace'])
      expect(problemOf({ jobs: [{ ...GOOD_JOB, name }] }), name).toMatch(/"name" must be 1 to 100 letters/);
  });

  it('refuses contradictions: inputs beside shapes/dims, a latency budget without timed runs', () => {
    expect(problemOf({ jobs: [{ ...GOOD_JOB, inputs: 'in', dims: { batch: 1 } }] })).toMatch(
      /"inputs" and "shapes"\/"dims" exclude each other/,
    );
    expect(problemOf({ jobs: [{ ...GOOD_JOB, runs: 0 }] })).toMatch(/"maxLatencyRatio" needs timed runs/);
  });

  it('a "fuse": true job needs no "after" and takes none of inject\'s keys; any other job needs "after"', () => {
    const fuseJob = { name: 'sge', model: 'sge_resnet50.onnx', fuse: true, inline: true, testData: ['t'] };
    expect(parseCiConfig(JSON.stringify({ jobs: [fuseJob] }), 'x').jobs).toEqual([fuseJob]);
    const withInject = problemOf({ jobs: [{ ...fuseJob, after: ['*/conv3/Conv'], groups: 8 }] });
    expect(withInject).toMatch(/"after" is for injecting; a "fuse": true job fuses the SGE blocks the model has/);
    expect(withInject).toMatch(/"groups" is for injecting/);
    const { after: _, ...noAfter } = GOOD_JOB;
    expect(problemOf({ jobs: [noAfter] })).toMatch(/"after" is missing \(or "fuse": true, to fuse the SGE blocks/);
    expect(problemOf({ jobs: [{ ...noAfter, fuse: false }] })).toMatch(/"after" is missing/);
    expect(problemOf({ jobs: [{ ...fuseJob, fuse: 'yes' }] })).toMatch(/"fuse" must be true or false/);
  });

  it('says where invalid JSON breaks', () => {
    expect(() => parseCiConfig('{\n  "jobs": [\n    {"name": "a",}\n  ]\n}', 'c.json')).toThrow(
      /c\.json is not valid JSON: .*\(line 3, column 1[0-9]\)/,
    );
  });
});

describe('the JSON Schema for editors', () => {
  const shipped = JSON.parse(readFileSync(join(ROOT, 'sge-inject.schema.json'), 'utf8'));
  // strictRequired off: the dependencies name keys defined in the parent object's properties.
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
  const schemaValid = ajv.compile(shipped);
  const ours = (config: unknown): boolean => {
    try {
      parseCiConfig(JSON.stringify(config), 'c');
      return true;
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      return false;
    }
  };

  it('is the file the package ships (regenerate with npm run schema), and lists every field', () => {
    expect(shipped).toEqual(ciConfigSchema());
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.files).toContain('sge-inject.schema.json');
    expect(Object.keys(shipped.definitions.job.properties)).toEqual(JOB_FIELDS.map((f) => f.key));
  });

  it('agrees with the validator on the cases above and on 3,000 seeded mutations of a good config', () => {
    const cases: unknown[] = [
      { jobs: [GOOD_JOB] },
      { $schema: './node_modules/sge-inject/sge-inject.schema.json', jobs: [GOOD_JOB] },
      JSON.parse(readFileSync(join(ROOT, 'sge-inject.json'), 'utf8')),
      { jobs: [{ ...GOOD_JOB, aftr: ['x'] }] },
      { jobs: [{ ...GOOD_JOB, groups: '64' }] },
      { jobs: [] },
      {},
      { jobs: [{ ...GOOD_JOB, inputs: 'in', shapes: { x: [1, 3] } }] },
      { jobs: [{ ...GOOD_JOB, runs: 0 }] },
      { jobs: [{ ...GOOD_JOB, seed: -3, runs: 0, maxLatencyRatio: undefined }] },
      { jobs: [{ ...GOOD_JOB, shapes: { x: [1, 0] } }] },
      { jobs: [{ ...GOOD_JOB, dims: { batch: 2.5 } }] },
      { jobs: [{ name: 'f', model: 'm.onnx', fuse: true }] },
      { jobs: [{ name: 'f', model: 'm.onnx', fuse: true, after: ['x'] }] },
      { jobs: [{ name: 'f', model: 'm.onnx', fuse: false }] },
      { jobs: [{ name: 'f', model: 'm.onnx' }] },
    ];
    const prng = createPrng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(prng.uniform() * xs.length)]!;
    const values: unknown[] = [
      '',
      'x',
      'a/b',
      0,
      -1,
      1,
      2.5,
      1e-5,
      2 ** 60,
      true,
      null,
      [],
      ['x'],
      [''],
      [1],
      {},
      { a: [1, 2] },
      { a: 2 },
      { a: [0] },
    ];
    const keys = [...JOB_FIELDS.map((f) => f.key), 'fuse', 'fuse', 'aftr', 'extra'];
    for (let i = 0; i < 3000; i++) {
      const job: Record<string, unknown> = { ...GOOD_JOB };
      for (let m = 1 + Math.floor(prng.uniform() * 3); m > 0; m--) {
        const key = pick(keys);
        if (prng.uniform() < 0.25) delete job[key];
        else job[key] = pick(values);
      }
      cases.push(prng.uniform() < 0.1 ? { jobs: [job], [pick(['$schema', 'jobz'])]: pick(values) } : { jobs: [job] });
    }
    const disagreements = cases.filter((c) => schemaValid(JSON.parse(JSON.stringify(c))) !== ours(c));
    expect(disagreements.slice(0, 3)).toEqual([]);
    // Both outcomes were exercised.
    expect(cases.filter(ours).length).toBeGreaterThan(100);
    expect(cases.filter((c) => !ours(c)).length).toBeGreaterThan(1000);
  });

  it('differs from the validator in the one documented place: unique names', () => {
    const dup = { jobs: [GOOD_JOB, GOOD_JOB] };
    expect(schemaValid(dup)).toBe(true);
    expect(ours(dup)).toBe(false);
    expect(shipped.description).toMatch(/unique/);
  });
});

describe('--only and --shard', () => {
  const jobs = Array.from({ length: 7 }, (_, i) => ({ name: `j${i}` })) as unknown as CiJob[];

  it('parses I/N and refuses anything else', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', '2', 'a/b', '1/2/3', '-1/2'])
      expect(() => parseShard(bad), bad).toThrow(UsageError);
  });

  it('deals the jobs out in config order: every job in exactly one shard, sizes within one', () => {
    for (const count of [1, 2, 3, 7, 9]) {
      const shards = Array.from({ length: count }, (_, i) => selectJobs(jobs, [], { index: i + 1, count }));
      expect(
        shards
          .flat()
          .map((j) => j.name)
          .sort(),
      ).toEqual(jobs.map((j) => j.name).sort());
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(selectJobs(jobs, [], { index: 2, count: 3 }).map((j) => j.name)).toEqual(['j1', 'j4']);
    // --only first, then the shard of what is left.
    expect(selectJobs(jobs, ['j6', 'j2', 'j3'], { index: 1, count: 2 }).map((j) => j.name)).toEqual(['j2', 'j6']);
  });

  it('--only naming no job is refused with the nearest names', () => {
    expect(() => selectJobs(jobs, ['j9x'])).toThrow(/--only 'j9x': no such job in the config/);
  });
});
