import { jsonValueDepth, MAX_JSON_DEPTH } from '../json/parse-json';
import { fromPerStep } from './from-per-step';
import { PER_STEP_ELEMENTS, PerStepRefreshFileSchema } from './per-step-schema';
import {
  captureIssueContext,
  describeValueAt,
  issuesToProblems,
  type Problem,
  problemAt,
  unknownFieldProblem,
} from './problems';
import {
  AuroraRefreshFileSchema,
  RdsRefreshFileSchema,
  type RefreshFile,
  RefreshFileSchema,
} from './refresh-file-schema';
import { crossFieldProblems } from './rules';

export type RefreshFileForm = 'concise' | 'per-step';

export interface ParseOptions {
  /** The time "now" for rules such as "a restore point is not in the future". Default: the current time. */
  readonly now?: Date;
}

export interface ParseResult {
  readonly form: RefreshFileForm;
  /** The normalised model, present when there is no error. */
  readonly refreshFile?: RefreshFile;
  /** Errors and warnings, in the paths of the file as given. */
  readonly problems: readonly Problem[];
}

export function errorsOf(result: ParseResult): Problem[] {
  return result.problems.filter((problem) => problem.severity === 'error');
}

/** Per-step files are recognised by their state-named elements; the concise form has `service`. */
export function detectForm(input: unknown): RefreshFileForm {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'concise';
  const record = input as Record<string, unknown>;
  if ('service' in record) return 'concise';
  const restore = record.restore;
  const restoreLooksPerStep =
    restore !== null &&
    typeof restore === 'object' &&
    ('restoretype' in restore || 'dbservice' in restore || 'torun' in restore);
  return restoreLooksPerStep || PER_STEP_ELEMENTS.some((element) => element in record)
    ? 'per-step'
    : 'concise';
}

/**
 * Validates a refresh file in either form and returns the concise model with every problem found:
 * schema problems and cross-field problems together, never only the first.
 */
export function parseRefreshFile(input: unknown, options: ParseOptions = {}): ParseResult {
  const now = options.now ?? new Date();
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      form: 'concise',
      problems: [
        problemAt(
          input,
          [],
          'must be a JSON object',
          'a refresh file object, see refresh-files/refresh-file.schema.json',
        ),
      ],
    };
  }
  // Before anything recursive (zod, the messages' JSON rendering) walks it: 5,000 levels overflowed the stack.
  const depth = jsonValueDepth(input);
  if (depth > MAX_JSON_DEPTH) {
    return {
      form: 'concise',
      problems: [
        {
          severity: 'error',
          path: [],
          message: `nests objects and arrays ${depth} levels deep, deeper than the limit of ${MAX_JSON_DEPTH}`,
          got: `${depth} levels of nesting`,
          expected: `a refresh file nesting at most ${MAX_JSON_DEPTH} levels (refresh files need about 6)`,
        },
      ],
    };
  }
  return detectForm(input) === 'per-step' ? parsePerStep(input, now) : parseConcise(input, now);
}

function parseConcise(input: unknown, now: Date): ParseResult {
  const parsed = RefreshFileSchema.safeParse(input, { error: captureIssueContext });
  const problems = [
    ...(parsed.success ? [] : issuesToProblems(parsed.error.issues, input)),
    ...unknownTopLevelFields(input),
    ...crossFieldProblems(input, now),
  ];
  const failed = problems.some((problem) => problem.severity === 'error');
  return { form: 'concise', problems, refreshFile: parsed.success && !failed ? parsed.data : undefined };
}

const TOP_LEVEL_FIELDS = [
  ...new Set([...Object.keys(RdsRefreshFileSchema.shape), ...Object.keys(AuroraRefreshFileSchema.shape)]),
];

/**
 * Without a valid `service` the schema cannot pick a branch and stops there, so unknown top-level
 * fields (often the misspelt `service` itself) are reported here.
 */
function unknownTopLevelFields(input: unknown): Problem[] {
  const record = input as Record<string, unknown>;
  if (record.service === 'rds' || record.service === 'aurora') return [];
  return Object.keys(record)
    .filter((key) => !TOP_LEVEL_FIELDS.includes(key))
    .map((key) => unknownFieldProblem(input, [key], TOP_LEVEL_FIELDS));
}

function parsePerStep(input: unknown, now: Date): ParseResult {
  const parsed = PerStepRefreshFileSchema.safeParse(input, { error: captureIssueContext });
  if (!parsed.success) return { form: 'per-step', problems: issuesToProblems(parsed.error.issues, input) };

  const conversion = fromPerStep(parsed.data, input);
  const concise = parseConcise(conversion.concise, now);
  // Problems of the converted file are reported at the per-step field the value came from.
  const translated = concise.problems.map((problem) => {
    const path = conversion.perStepPathOf(problem.path);
    return { ...problem, path, got: describeValueAt(input, path) };
  });
  const problems = [...conversion.problems, ...translated];
  const failed = problems.some((problem) => problem.severity === 'error');
  return { form: 'per-step', problems, refreshFile: failed ? undefined : concise.refreshFile };
}
