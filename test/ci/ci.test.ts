/**
 * `sge-inject ci` as users run it: a real process, its worker processes, the config file, the JUnit
 * report. The expected outputs are PyTorch's (the fixtures' test data); a job with wrong parameters
 * must fail on them alone; a killed or aborted worker fails its job alone; bad configs are refused
 * before any job runs.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { JOB_FIELDS } from '../../src/ci/fields.js';
import { decodeModel } from '../../src/codec/decode.js';
import { findInjectedSites } from '../../src/sge/detect.js';
import {
  cli,
  expectRefusal,
  MODELS,
  RESNET13,
  RESNET13_PARAMS,
  ROOT,
  snapshot,
  spawnCli,
  subFolder,
  tempFolder,
  VGG,
} from '../cli/helpers.js';

const root = tempFolder('ci');
const SGE13_DATA = join(MODELS, 'mini_resnet_bottleneck_sge_g8_op13', 'test_data_set_0');
const VGG_DATA = join(MODELS, 'mini_vgg_caffe_op13_sge_g64_paper_init', 'test_data_set_0');

/** Writes a config into `dir` with every path made relative to it, as users write them. */
function writeConfig(dir: string, jobs: Record<string, unknown>[], name = 'sge-inject.json'): string {
  const rel = (p: unknown) => (typeof p === 'string' ? relative(dir, p) : p);
  const out = jobs.map((j) => ({
    ...j,
    model: rel(j.model),
    ...(j.params ? { params: rel(j.params) } : {}),
    ...(j.testData ? { testData: (j.testData as string[]).map(rel) } : {}),
  }));
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify({ jobs: out }, null, 2)}\n`);
  return path;
}

const resnetJob = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  model: RESNET13,
  after: ['*/conv3/Conv'],
  params: RESNET13_PARAMS,
  testData: [SGE13_DATA],
  runs: 2,
  ...extra,
});
const vggJob = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  model: VGG,
  after: ['conv4_*'],
  groups: 64,
  testData: [VGG_DATA],
  runs: 2,
  ...extra,
});

function junit(path: string) {
  const xml = readFileSync(path, 'utf8');
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (n) => n === 'testcase',
  }).parse(xml);
  return doc.testsuites as {
    tests: string;
    failures: string;
    errors: string;
    testsuite: {
      name: string;
      testcase: Array<{ name: string; failure?: { message: string }; error?: { message: string } }>;
    };
  };
}

describe('sge-inject ci: the README config over the fixtures', () => {
  it("is the repository's sge-inject.json, and its workflow runs `npx sge-inject ci --junit report.xml` and publishes it", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## CI'));
    const json = /```json\n([\s\S]*?)```/.exec(section)![1]!;
    expect(JSON.parse(json)).toEqual(JSON.parse(readFileSync(join(ROOT, 'sge-inject.json'), 'utf8')));
    // The key table names every key of the format.
    const table = section.slice(section.indexOf('| key |'), section.indexOf('\n\n', section.indexOf('| key |')));
    for (const f of JOB_FIELDS) expect(table, f.key).toContain(`\`${f.key}\``);
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const workflow = parseYaml(yaml) as { jobs: Record<string, { steps: Array<Record<string, unknown>> }> };
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    expect(steps.some((s) => s.run === 'npx sge-inject ci --junit report.xml')).toBe(true);
    const publish = steps.find((s) => JSON.stringify(s.with ?? {}).includes('report.xml'));
    expect(publish, 'a step that publishes report.xml').toBeDefined();
    // Published even when the ci step failed (a GitHub expression, not a template).
    expect(publish!.if).toBe(['$', '{{ always() }}'].join(''));
  });

  it('passes: every job injects, validates and reproduces its PyTorch outputs (exit 0, JUnit all passed)', async () => {
    const dir = subFolder(root, 'readme');
    const report = join(dir, 'report.xml');
    const r = await spawnCli(['ci', '--junit', report, '--json'], { cwd: ROOT });
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.passed).toBe(true);
    expect(
      json.jobs.map((j: { name: string; sites: number; verdict: string }) => [j.name, j.sites, j.verdict]),
    ).toEqual([
      ['mini-resnet-op13', 6, 'pass'],
      ['mini-resnet-op17-inline', 6, 'pass'],
      ['mini-vgg-caffe', 3, 'pass'],
    ]);
    for (const j of json.jobs) {
      expect(j.validation).toBe('pass');
      expect(j.testData).toEqual({ sets: 1, passed: 1 });
      expect(j.latency.runs).toBe(10);
      expect(j.details.validation.sites.every((s: { verdict: string }) => s.verdict === 'pass')).toBe(true);
    }
    const suites = junit(report);
    expect(suites).toMatchObject({ tests: '3', failures: '0', errors: '0' });
    expect(r.stderr).toMatch(/\[3\/3\] pass /);
  });
});

describe('sge-inject ci: failing jobs fail alone', () => {
  it('wrong parameters fail on the test data, naming the job; the JUnit file has that one failure', async () => {
    const dir = subFolder(root, 'wrong');
    // Trained-like parameters with every weight's sign flipped: a valid SGE (validation passes), not the network PyTorch ran.
    const params = JSON.parse(readFileSync(RESNET13_PARAMS, 'utf8'));
    for (const site of Object.values(params.params) as Array<{ weight: number[] }>)
      site.weight = site.weight.map((w) => -w);
    const wrong = join(dir, 'wrong-params.json');
    writeFileSync(wrong, JSON.stringify(params));
    const config = writeConfig(dir, [resnetJob('good'), resnetJob('wrong', { params: wrong }), vggJob('vgg')]);
    const report = join(dir, 'report.xml');
    const r = await spawnCli(['ci', config, '--junit', report]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^good\s+6\s+pass\s+pass 1\/1\s+\S+\s+pass\s/m);
    expect(r.stdout).toMatch(/^wrong\s+6\s+pass\s+fail 0\/1\s+\S+\s+FAIL\s/m);
    expect(r.stdout).toMatch(
      /^wrong: test data .*test_data_set_0: output 'logits': \d+ of 20 elements out of tolerance/m,
    );
    expect(r.stdout).toMatch(/3 jobs: 2 pass, 1 fail, 0 error/);
    expect(r.stderr).toMatch(/sge-inject: ci: 1 of 3 jobs did not pass: wrong\n$/);
    const suites = junit(report);
    expect(suites).toMatchObject({ tests: '3', failures: '1', errors: '0' });
    const cases = suites.testsuite.testcase;
    expect(cases.map((c) => [c.name, Boolean(c.failure)])).toEqual([
      ['good', false],
      ['wrong', true],
      ['vgg', false],
    ]);
    expect(cases[1]!.failure!.message).toMatch(/^test data .*output 'logits'/);
  });

  it('a latency budget below reality fails; a generous one passes', async () => {
    const dir = subFolder(root, 'latency');
    // No model runs in 1/1000 of another's time: 0.001 is below any measurement, however noisy the machine.
    const config = writeConfig(dir, [
      vggJob('tight', { maxLatencyRatio: 0.001, testData: undefined }),
      vggJob('generous', { maxLatencyRatio: 1000, testData: undefined }),
    ]);
    const r = await spawnCli(['ci', config, '--json']);
    expect(r.status, r.stderr).toBe(1);
    const jobs = JSON.parse(r.stdout).jobs;
    expect(jobs[0].verdict).toBe('fail');
    expect(jobs[0].failures).toEqual([
      expect.stringMatching(
        /^latency: the rewritten model takes \S+× the original's time .* over maxLatencyRatio 0\.001$/,
      ),
    ]);
    expect(jobs[0].latency).toMatchObject({ max: 0.001, runs: 2 });
    expect(jobs[1].verdict).toBe('pass');
  });

  for (const fault of ['kill', 'abort'] as const) {
    it(`a worker that dies (${fault}) fails its job alone, with a message saying how`, async () => {
      const dir = subFolder(root, fault);
      const config = writeConfig(dir, [vggJob('before'), vggJob('doomed'), vggJob('after')]);
      const report = join(dir, 'report.xml');
      const r = await spawnCli(['ci', config, '--junit', report, '--jobs', '2'], {
        env: { SGE_INJECT_CI_TEST_FAULT: `doomed:${fault}` },
      });
      expect(r.status, r.stderr).toBe(1);
      const how = fault === 'kill' ? /was killed \(SIGKILL: the out-of-memory killer/ : /aborted \(SIGABRT/;
      expect(r.stdout).toMatch(/^doomed\s+-\s+-\s+-\s+-\s+ERROR\s/m);
      expect(r.stdout).toMatch(new RegExp(`^doomed: its worker process ${how.source}`, 'm'));
      expect(r.stdout).toMatch(/3 jobs: 2 pass, 0 fail, 1 error/);
      const suites = junit(report);
      expect(suites).toMatchObject({ tests: '3', failures: '0', errors: '1' });
      expect(suites.testsuite.testcase.map((c) => [c.name, Boolean(c.error)])).toEqual([
        ['before', false],
        ['doomed', true],
        ['after', false],
      ]);
    });
  }
});

describe('sge-inject ci: timeouts', () => {
  it('a job past its timeout is stopped and fails alone as an error; --timeout sets it for the others', async () => {
    const dir = subFolder(root, 'timeout');
    // No job can finish in 10 ms (a worker process alone takes longer to start): the limit must fire.
    const config = writeConfig(dir, [vggJob('quick'), vggJob('slow', { timeout: 0.01 })]);
    const report = join(dir, 'report.xml');
    const r = await spawnCli(['ci', config, '--junit', report, '--jobs', '2']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^slow\s+-\s+-\s+-\s+-\s+ERROR\s/m);
    expect(r.stdout).toMatch(
      /^slow: took longer than its timeout of 0\.01 s \(its "timeout"\), so its worker was stopped/m,
    );
    expect(r.stdout).toMatch(/2 jobs: 1 pass, 0 fail, 1 error/);
    expect(junit(report)).toMatchObject({ tests: '2', failures: '0', errors: '1' });

    const all = await spawnCli(['ci', writeConfig(dir, [vggJob('a')], 'all.json'), '--timeout', '0.01']);
    expect(all.status, all.stderr).toBe(1);
    expect(all.stdout).toMatch(/^a: took longer than its timeout of 0\.01 s \(--timeout\)/m);
  });
});

describe('sge-inject ci: selection and outputs', () => {
  it('--shard I/N runs the I-th slice, --only names jobs; --out writes <name>.onnx models that carry the sites', async () => {
    const dir = subFolder(root, 'select');
    const config = writeConfig(dir, [
      vggJob('a', { testData: undefined }),
      vggJob('b'),
      vggJob('c', { testData: undefined }),
    ]);
    const out = join(dir, 'out');
    const report = join(dir, 'r.xml');
    const r = await spawnCli(['ci', config, '--shard', '2/2', '--out', out, '--junit', report]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^b\s+3\s+pass/m);
    expect(r.stdout).not.toMatch(/^[ac]\s/m);
    expect(r.stdout).toMatch(/1 job: 1 pass, 0 fail, 0 error \(shard 2\/2 of 3 jobs; 1 worker/);
    expect(junit(report).testsuite.name).toBe('sge-inject.json (shard 2/2)');
    expect(readdirSync(out)).toEqual(['b.onnx']);
    const written = decodeModel(new Uint8Array(readFileSync(join(out, 'b.onnx'))));
    expect(findInjectedSites(written).map((s) => s.name)).toHaveLength(3);
    // The written model passes `validate` against the original on its own.
    expect((await cli(['validate', VGG, join(out, 'b.onnx'), '--runs', '0'])).status).toBe(0);

    const only = await spawnCli(['ci', config, '--only', 'c', '--only', 'a', '--json']);
    expect(only.status, only.stderr).toBe(0);
    expect(JSON.parse(only.stdout).jobs.map((j: { name: string }) => j.name)).toEqual(['a', 'c']);
  });
});

describe('sge-inject ci: fuse jobs', () => {
  it('fuses in memory, validates each site against the block it replaced, runs the test data; a model with only near misses is an error', async () => {
    const dir = subFolder(root, 'fuse');
    const FUSE = join(ROOT, 'fixtures/fuse');
    const config = writeConfig(dir, [
      {
        name: 'exported',
        model: join(FUSE, 'pytorchinsight_op13_dyn_fold.onnx'),
        fuse: true,
        testData: [join(FUSE, 'pytorchinsight_op13_dyn_fold/test_data_set_0')],
        runs: 2,
      },
      { name: 'inline', model: join(FUSE, 'yolo_fishvit_op17_b2_fold.onnx'), fuse: true, inline: true, runs: 0 },
      { name: 'near-misses', model: join(FUSE, 'nearmiss_tanh_op13_dyn_fold.onnx'), fuse: true, runs: 0 },
    ]);
    const out = join(dir, 'out');
    const r = await spawnCli(['ci', config, '--json', '--out', out]);
    expect(r.status, r.stderr).toBe(1);
    const jobs = JSON.parse(r.stdout).jobs as {
      name: string;
      verdict: string;
      sites: number | null;
      validation: string | null;
      testData: unknown;
      failures: string[];
      details: { fuse?: { sites: unknown[] }; validation?: { outputs: { agreement?: unknown }[] } };
    }[];
    expect(jobs.map((j) => [j.name, j.verdict, j.sites, j.validation])).toEqual([
      ['exported', 'pass', 3, 'pass'],
      ['inline', 'pass', 3, 'pass'],
      ['near-misses', 'error', null, null],
    ]);
    expect(jobs[0]!.testData).toEqual({ sets: 1, passed: 1 });
    // Judged as fuse --validate judges: the outputs of the export and the fused model must agree.
    expect(jobs[0]!.details.validation!.outputs[0]!.agreement).toEqual({ failures: 0, elements: 10 });
    expect(jobs[2]!.failures.join('\n')).toMatch(/^fuse: no exported SGE block in .* can be fused.*gate is Tanh/s);
    expect(readdirSync(out).sort()).toEqual(['exported.onnx', 'inline.onnx']);
    const written = decodeModel(new Uint8Array(readFileSync(join(out, 'inline.onnx'))));
    expect(findInjectedSites(written).map((s) => s.mode)).toEqual(['inline', 'inline', 'inline']);
  });
});

describe('sge-inject ci: bad configs and options (exit 2, nothing run or written)', () => {
  const dir = subFolder(root, 'bad');
  const refused = async (args: string[], says: RegExp[]) => {
    const before = snapshot(dir);
    expectRefusal(await cli(['ci', ...args]), { status: 2, says });
    expect(snapshot(dir)).toEqual(before);
  };
  const config = (jobs: Record<string, unknown>[], name: string) => writeConfig(dir, jobs, name);

  it('a missing config, invalid JSON, unknown keys, wrong types, duplicate names, empty jobs', async () => {
    await refused([join(dir, 'none.json')], [/none\.json: no such config file/]);
    writeFileSync(join(dir, 'broken.json'), '{"jobs": [');
    await refused([join(dir, 'broken.json')], [/broken\.json is not valid JSON/, /README/]);
    await refused(
      [config([{ ...vggJob('v'), aftr: ['x'] }], 'unknown.json')],
      [/job "v" \(jobs\[0\]\): unknown key "aftr"/],
    );
    await refused(
      [config([{ ...vggJob('v'), groups: 'many' }], 'type.json')],
      [/job "v" \(jobs\[0\]\): "groups" must be/],
    );
    await refused([config([vggJob('v'), vggJob('v')], 'dup.json')], [/job "v" \(jobs\[1\]\): "name" repeats/]);
    await refused([config([], 'empty.json')], [/"jobs" is empty/]);
  });

  it('missing files and folders, named with the job, the key and the path as written', async () => {
    const path = config(
      [
        vggJob('v', { model: join(dir, 'nope.onnx') }),
        resnetJob('r', { params: join(dir, 'nope.json'), testData: [SGE13_DATA, join(dir, 'no-set')] }),
        vggJob('f', { testData: [VGG] }),
      ],
      'missing.json',
    );
    await refused(
      [path],
      [
        /4 problems:/,
        /job "v" \(jobs\[0\]\): "model": nope\.onnx: no such file/,
        /job "r" \(jobs\[1\]\): "params": nope\.json: no such file/,
        /job "r" \(jobs\[1\]\): "testData\[1\]": no-set: no such folder/,
        /job "f" \(jobs\[2\]\): "testData\[0\]": .*mini_vgg_caffe_op13\.onnx is not a folder/,
        /paths in a config are relative to its folder/,
      ],
    );
  });

  it('bad options, and outputs that would replace an input', async () => {
    const good = config([vggJob('v')], 'good.json');
    await refused([good, '--jobs', '0'], [/--jobs '0'/]);
    await refused([good, '--shard', '3/2'], [/--shard '3\/2'/]);
    await refused([good, '--timeout', '0'], [/--timeout '0' is not a number of seconds above 0/]);
    await refused([good, '--timeout', 'soon'], [/--timeout 'soon' is not a number of seconds above 0/]);
    await refused([good, '--only', 'w'], [/--only 'w': no such job/]);
    await refused([good, '--junit', good], [/--junit: .*good\.json is .*good\.json, which the run reads/]);
    // A job named after the model, written into the model's folder, would replace the model.
    const clash = config([vggJob('mini_vgg_caffe_op13')], 'clash.json');
    await refused([clash, '--out', MODELS], [/--out: .*mini_vgg_caffe_op13\.onnx is .*, which the run reads/]);
    expect(existsSync(join(dir, 'report.xml'))).toBe(false);
  });

  it('without CONFIG, sge-inject.json in the current folder; none there is exit 2 with the way out', async () => {
    const empty = join(dir, 'cwd');
    mkdirSync(empty);
    const r = await spawnCli(['ci'], { cwd: empty });
    expectRefusal(r, { status: 2, says: [/sge-inject\.json: no such config file/, /create sge-inject\.json here/] });
  });
});
