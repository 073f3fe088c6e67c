/**
 * The command-line interface, built by a function with no side effects so tests can parse argument
 * lists directly. Commands receive parsed options and return an exit status; nothing here calls
 * process.exit.
 */
import { Command, Option } from 'commander';
import { collect, parseList, parsePositiveInt } from '../shell/parse.js';
import type { CliIo } from './io.js';
import { packageVersion } from './version.js';

/** How validation runs: options of `validate`, and of `--validate` on the commands that write a model. */
export interface ValidationCliOptions {
  inputs?: string;
  shape?: string[];
  dim?: string[];
  runs?: string;
  seed?: string;
  rtol?: string;
  atol?: string;
}

/** Options of the main (inject) command as commander parses them. */
export interface InjectCliOptions extends ValidationCliOptions {
  after?: string[];
  exclude?: string[];
  groups?: string;
  output?: string;
  params?: string;
  init: string;
  inline?: boolean;
  opTypes?: string[];
  validate?: boolean;
  dryRun?: boolean;
  json?: boolean;
  force?: boolean;
  overwrite?: boolean;
  debug?: boolean;
}

/** Options of `list`. */
export interface ListCliOptions {
  after?: string[];
  exclude?: string[];
  groups?: string;
  opTypes?: string[];
  json?: boolean;
  debug?: boolean;
}

/** Options of `strip`. */
export interface StripCliOptions {
  output?: string;
  json?: boolean;
  overwrite?: boolean;
  dryRun?: boolean;
  debug?: boolean;
}

/** Options of `validate`. */
export interface ValidateCliOptions extends ValidationCliOptions {
  json?: boolean;
  debug?: boolean;
}

/** Options of `fuse`. */
export interface FuseCliOptions extends ValidationCliOptions {
  output?: string;
  inline?: boolean;
  validate?: boolean;
  dryRun?: boolean;
  json?: boolean;
  overwrite?: boolean;
  debug?: boolean;
}

/** Options of `test`. */
export interface TestCliOptions {
  data?: string[];
  rtol?: string;
  atol?: string;
  json?: boolean;
  debug?: boolean;
}

/** Options of `web`. */
export interface WebCliOptions {
  port: string;
  debug?: boolean;
}

/** Options of `ci`. */
export interface CiCliOptions {
  out?: string;
  junit?: string;
  json?: boolean;
  jobs?: string;
  only?: string[];
  shard?: string;
  timeout?: string;
  debug?: boolean;
}

/** What each command does; each returns the exit status. */
export interface CommandHandlers {
  inject(model: string, options: InjectCliOptions): Promise<number>;
  list(model: string, options: ListCliOptions): Promise<number>;
  validate(original: string, rewritten: string, options: ValidateCliOptions): Promise<number>;
  strip(model: string, options: StripCliOptions): Promise<number>;
  fuse(model: string, options: FuseCliOptions): Promise<number>;
  test(model: string, options: TestCliOptions): Promise<number>;
  ci(config: string | undefined, options: CiCliOptions): Promise<number>;
  web(options: WebCliOptions): Promise<number>;
}

const EXAMPLES = `
Examples:
  # SGE(64) after the last conv of every torchvision ResNet bottleneck, then prove it in onnxruntime
  $ sge-inject resnet50.onnx --after '*/conv3/Conv' --validate

  # a Caffe-converted VGG: nodes have no names, tensors do (conv4_1, conv4_2, conv4_3)
  $ sge-inject vgg16.onnx --groups 64 --after 'conv4_*'

  # the mini ResNet shipped in fixtures/, trained parameters from a JSON file, inline standard ops
  $ sge-inject fixtures/models/mini_resnet_bottleneck_op13.onnx --after '*/conv3/Conv' \\
      --params fixtures/models/mini_resnet_bottleneck_op13.sge-g8-params.json --inline -o out.onnx

  # a regular expression, and everything except one stage
  $ sge-inject model.onnx --after 're:/layer[1-4]/.*/conv3/Conv' --exclude '/layer1/*'

  # see the convolutions, their channels and whether --groups divides them
  $ sge-inject list resnet50.onnx --groups 64 --after '*/conv3/Conv'

  # take the SGE blocks out again (the model sge-inject started from)
  $ sge-inject strip resnet50.sge.onnx -o resnet50.plain.onnx

  # replace the SGE blocks torch.onnx.export wrote (36–90 nodes each) by one proven node each, then
  # run both models: same outputs, every site against the reference, latency before and after
  $ sge-inject fuse sge_resnet50.onnx -o sge_resnet50.fused.onnx --validate

  # check a rewritten model against the original
  $ sge-inject validate resnet50.onnx resnet50.sge.onnx --shape input=1x3x224x224

  # run a model on its test data (resnet50/test_data_set_N/{input_0.pb,output_0.pb}) and compare outputs
  $ sge-inject test resnet50.onnx

  # the same in a browser page (nothing uploaded): open the URL it prints
  $ sge-inject web

  # every job of sge-inject.json, in parallel, with a JUnit report for the CI service
  $ sge-inject ci --junit report.xml

Exit status: 0 success, 1 a mismatch, a failed ci job or an onnxruntime failure, 2 bad usage, input or config, 70 internal error.`;

const INPUTS_HELP = 'input tensors: input_0.pb … (ONNX test data) or NAME.npy files';
const SHAPE_HELP = 'shape of an input, e.g. input=1x3x224x224; repeatable';
const DIM_HELP = 'value of a symbolic dimension, e.g. batch=1; repeatable';

/**
 * Validation's own options, as `validate` takes them, on a command that writes a model and validates
 * it with --validate (inject, fuse). No defaults here: given without --validate is an error.
 */
function addValidationOptions(command: Command): Command {
  return command
    .option('--inputs <dir>', `with --validate: ${INPUTS_HELP}`)
    .option('--shape <name=dims>', `with --validate: ${SHAPE_HELP}`, collect)
    .option('--dim <name=value>', `with --validate: ${DIM_HELP}`, collect)
    .option('--runs <n>', 'with --validate: timed runs per model (default 10)')
    .option('--seed <s>', 'with --validate: seed of the random inputs (default 0)')
    .option('--rtol <r>', 'with --validate: relative tolerance (default 1e-4 for float32)')
    .option('--atol <a>', 'with --validate: absolute tolerance (default 1e-5 for float32)');
}

/** Builds the program. `io` receives commander's own output (help, errors). */
export function buildProgram(handlers: CommandHandlers, io: CliIo): Command {
  const program = new Command();
  program
    .name('sge-inject')
    .description(
      'Insert Spatial Group-wise Enhance (SGE) blocks after convolutions of an ONNX model, and validate them in onnxruntime.',
    )
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run sge-inject --help for usage)')
    .enablePositionalOptions()
    .argument('<model>', 'the .onnx model to rewrite')
    .option('-a, --after <pattern>', 'glob on node or output names (* crosses /), or re:REGEX; repeatable', collect)
    .option('-g, --groups <n>', "SGE groups G (default: the params file's, else 64)")
    .option('-o, --output <file>', 'output model (default: <model stem>.sge.onnx beside the model)')
    .option('--params <file>', 'per-site weight/bias: JSON {"groups", "params": {site: {weight, bias}}} or safetensors')
    .addOption(
      new Option('--init <scheme>', 'parameter initialization without --params').choices(['paper']).default('paper'),
    )
    .option('--inline', 'write standard ops at each site instead of a model-local function')
    .option('--exclude <pattern>', 'remove matching nodes from the selection; repeatable', collect)
    .option('--op-types <types>', 'node types that may be chosen, comma-separated (default Conv)', parseList)
    .option('--validate', 'run both models in onnxruntime and check every site against the reference')
    .option('--dry-run', 'report what would change; write nothing')
    .option('--json', 'print the report as JSON on stdout')
    .option('--force', 're-inject where an SGE already follows a chosen node')
    .option('--overwrite', 'allow the output to replace the input model (atomically)')
    .option('--debug', 'show stack traces');
  addValidationOptions(program)
    .addHelpText('after', EXAMPLES)
    .action(async (model: string, options: InjectCliOptions) => {
      await handlers.inject(model, options);
    });

  program
    .command('list')
    .description(
      'list convolutions with channels, spatial dims, whether --groups divides them and whether the patterns select them',
    )
    .argument('<model>', 'the .onnx model')
    .option('-a, --after <pattern>', 'patterns to test (as for the main command); repeatable', collect)
    .option('--exclude <pattern>', 'patterns to exclude; repeatable', collect)
    .option('-g, --groups <n>', 'groups to check divisibility against (default 64)')
    .option('--op-types <types>', 'node types to list, comma-separated (default Conv)', parseList)
    .option('--json', 'print JSON on stdout')
    .option('--debug', 'show stack traces')
    .action(async (model: string, options: ListCliOptions) => {
      await handlers.list(model, options);
    });

  program
    .command('strip')
    .description(
      'remove every SGE block sge-inject inserted (either form), restoring the conv outputs, our function, opset import and IR version',
    )
    .argument('<model>', 'a model written by sge-inject')
    .option('-o, --output <file>', 'output model (default: <model stem>.nosge.onnx beside the model)')
    .option('--dry-run', 'report what would be removed; write nothing')
    .option('--json', 'print the report as JSON on stdout')
    .option('--overwrite', 'allow the output to replace the input model (atomically)')
    .option('--debug', 'show stack traces')
    .action(async (model: string, options: StripCliOptions) => {
      await handlers.strip(model, options);
    });

  const fuse = program
    .command('fuse')
    .description(
      "replace SGE blocks exported as primitive ops (e.g. by torch.onnx.export) by sge-inject's sites, each proven in onnxruntime first",
    )
    .argument('<model>', 'a model with exported SGE blocks')
    .option('-o, --output <file>', 'output model (default: <model stem>.fused.onnx beside the model)')
    .option('--inline', 'write standard ops at each site instead of a model-local function')
    .option(
      '--validate',
      'run the exported and the fused model in onnxruntime: same outputs, every site against the reference, latency before and after',
    )
    .option('--dry-run', 'report what would be fused; write nothing')
    .option('--json', 'print the report as JSON on stdout')
    .option('--overwrite', 'allow the output to replace the input model (atomically)')
    .option('--debug', 'show stack traces');
  addValidationOptions(fuse).action(async (model: string, options: FuseCliOptions) => {
    await handlers.fuse(model, options);
  });

  program
    .command('validate')
    .description(
      'run the original and the rewritten model in onnxruntime and check every SGE site against the float64 reference',
    )
    .argument('<original>', 'the model before injection')
    .argument('<rewritten>', 'the model after injection')
    .option('--inputs <dir>', INPUTS_HELP)
    .option('--shape <name=dims>', SHAPE_HELP, collect)
    .option('--dim <name=value>', DIM_HELP, collect)
    .option('--runs <n>', 'timed runs per model (median reported)', '10')
    .option('--seed <s>', 'seed of the random inputs', '0')
    .option('--rtol <r>', 'relative tolerance (default 1e-4 for float32)')
    .option('--atol <a>', 'absolute tolerance (default 1e-5 for float32)')
    .option('--json', 'print the report as JSON on stdout')
    .option('--debug', 'show stack traces')
    .action(async (original: string, rewritten: string, options: ValidateCliOptions) => {
      await handlers.validate(original, rewritten, options);
    });

  program
    .command('test')
    .description(
      'run a model in onnxruntime on its test data sets and compare every output with the expected one (same rule and tolerances as validate)',
    )
    .argument('<model>', 'the .onnx model')
    .option(
      '--data <dir>',
      'a test data set folder (input_0.pb …, output_0.pb …; or .npy); repeatable (default: every <stem>/test_data_set_N, else test_data_set_N beside the model)',
      collect,
    )
    .option('--rtol <r>', 'relative tolerance (default 1e-4 for float32; integer outputs must be equal)')
    .option('--atol <a>', 'absolute tolerance (default 1e-5 for float32)')
    .option('--json', 'print the report as JSON on stdout')
    .option('--debug', 'show stack traces')
    .action(async (model: string, options: TestCliOptions) => {
      await handlers.test(model, options);
    });

  program
    .command('ci')
    .description(
      'run every job of a config (inject, validate, test data, latency budget) in parallel worker processes; a summary table, --json, --junit',
    )
    .argument('[config]', 'the config file', 'sge-inject.json')
    .option('--out <dir>', 'write each rewritten model to <dir>/<job name>.onnx')
    .option('--junit <file>', 'write a JUnit XML report (one test case per job)')
    .option('--json', 'print the results as JSON on stdout')
    .option('--jobs <n>', 'worker processes at once (default: the number of cores)')
    .option('--only <name>', 'run only this job; repeatable', collect)
    .option('--shard <i/n>', 'run the i-th of n slices: the selected jobs dealt out in config order, 1st to shard 1, …')
    .option(
      '--timeout <seconds>',
      'stop a job whose worker takes longer, and count it as an error (a job\'s "timeout" overrides)',
    )
    .option('--debug', 'show stack traces')
    .action(async (config: string | undefined, options: CiCliOptions) => {
      await handlers.ci(config, options);
    });

  program
    .command('web')
    .description('serve the web page (everything runs in the browser; nothing is uploaded) on 127.0.0.1')
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', '8765')
    .option('--debug', 'show stack traces')
    .action(async (options: WebCliOptions) => {
      await handlers.web(options);
    });

  return program;
}

/** Groups from the command line (undefined when not given). */
export function groupsOption(text: string | undefined): number | undefined {
  return text === undefined ? undefined : parsePositiveInt('--groups', text);
}
