import { JsonTooDeepError, parseJson } from '../../../lambdas/shared/json/parse-json';
import { AwsError } from '../service';
import { lengthViolation, throwIfViolated, utf8Bytes } from './constraints';

/**
 * The most data a task, state or execution takes or gives: 256 KiB as a UTF-8 encoded string.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html ("Maximum input or output size for a
 * task, state, or execution")
 */
export const MAX_STATE_DATA_BYTES = 262_144;

/**
 * The characters a state machine, execution or activity name must not contain: white space, brackets
 * `< > { } [ ]`, wildcards `? *` and the special characters `" # % \ ^ | ~ \` $ & , ; : /`.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (name)
 */
const FORBIDDEN_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;

/**
 * The first character of `name` a name must not contain: one of FORBIDDEN_NAME_CHARACTER, a control character
 * (U+0000-001F, U+007F-009F), U+FFFE-FFFF or an unpaired surrogate.
 */
function forbiddenCharacterIn(name: string): string | undefined {
  for (const character of name) {
    const code = character.codePointAt(0) ?? 0;
    const control = code <= 0x1f || (code >= 0x7f && code <= 0x9f);
    const nonCharacter = code === 0xfffe || code === 0xffff || (code >= 0xd800 && code <= 0xdfff);
    if (control || nonCharacter || FORBIDDEN_NAME_CHARACTER.test(character)) return character;
  }
  return undefined;
}

/**
 * An execution name: 1 to 80 characters (the model's constraint, a ValidationException) and none of the
 * forbidden characters (InvalidName).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (name)
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (names of state machines, executions,
 * and activity tasks must not exceed 80 characters)
 */
export function checkExecutionName(name: string): void {
  throwIfViolated([lengthViolation('name', name, { min: 1, max: 80 })]);
  const forbidden = forbiddenCharacterIn(name);
  if (forbidden !== undefined) {
    const shown = JSON.stringify(forbidden);
    throw new AwsError(
      'InvalidName',
      `Invalid Name: '${name}' (it contains ${shown}; an execution name must not contain white space, ` +
        'brackets, wildcards, the characters " # % \\ ^ | ~ ` $ & , ; : / or control characters)',
    );
  }
}

/**
 * StartExecution's input: at most 256 KiB of UTF-8 (a ValidationException that does not quote it), and JSON
 * (InvalidExecutionInput).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html (input)
 */
export function parseExecutionInput(text: string): unknown {
  return parsePayload(
    text,
    'input',
    (reason) => new AwsError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${reason}'`),
  );
}

/**
 * SendTaskSuccess's output: at most 256 KiB of UTF-8 (a ValidationException that does not quote it), and JSON
 * (InvalidOutput).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html (output)
 */
export function parseTaskOutput(text: string): unknown {
  return parsePayload(
    text,
    'output',
    (reason) => new AwsError('InvalidOutput', `Invalid Output: '${reason}'`),
  );
}

function parsePayload(text: string, member: string, invalid: (reason: string) => AwsError): unknown {
  throwIfViolated([
    lengthViolation(member, text, { max: MAX_STATE_DATA_BYTES, unit: 'utf8-bytes', sensitive: true }),
  ]);
  try {
    return parseJson(text, { what: member === 'input' ? 'The execution input' : 'The task output' });
  } catch (error: unknown) {
    if (error instanceof SyntaxError || error instanceof JsonTooDeepError) throw invalid(error.message);
    throw error;
  }
}

/**
 * A task token of 1 to 2,048 characters, and SendTaskFailure's error (up to 256) and cause (up to 32,768).
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskFailure.html
 */
export function checkTaskAnswer(answer: { taskToken: string; error?: string; cause?: string }): void {
  throwIfViolated([
    lengthViolation('taskToken', answer.taskToken, { min: 1, max: 2048, sensitive: true }),
    lengthViolation('error', answer.error, { max: 256, sensitive: true }),
    lengthViolation('cause', answer.cause, { max: 32_768, sensitive: true }),
  ]);
}

/** Which of a state's data is measured: what it received, what its task returned, or what it passes on. */
export type StateDataKind = 'input' | 'result' | 'output';

/**
 * The terminal error of a state whose data passes 256 KiB. `States.ALL` does not catch it and it is not
 * retried: the execution fails with it (the runner of aws-local-stepfunctions reads `isRetryable`/`isCatchable`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (States.DataLimitExceeded)
 */
export class StatesDataLimitExceededError extends Error {
  override readonly name = 'States.DataLimitExceeded';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/**
 * Fails a state whose input (after Parameters), task result or output is more than 256 KiB as UTF-8 JSON, as
 * Step Functions does; the local runner calls it for each state. Returns the size in bytes otherwise.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 * @throws StatesDataLimitExceededError
 */
export function enforceStateDataLimit(data: unknown, stateName: string, kind: StateDataKind): number {
  const size = data === undefined ? 0 : utf8Bytes(JSON.stringify(data));
  if (size > MAX_STATE_DATA_BYTES) {
    const what =
      kind === 'result'
        ? 'returned a result'
        : kind === 'input'
          ? 'was given an input'
          : 'produced an output';
    throw new StatesDataLimitExceededError(
      `The state/task '${stateName}' ${what} with a size exceeding the maximum number of bytes service limit ` +
        `(${size} bytes; the limit is ${MAX_STATE_DATA_BYTES}).`,
    );
  }
  return size;
}
