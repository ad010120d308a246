import { JsonTooDeepError, parseJson } from '../../../lambdas/shared/json/parse-json';
import { AwsError } from '../service';
import { utf8Bytes } from './constraints';

/** One message attribute as Publish receives it (BinaryValue in base64, as the Query protocol carries it). */
export interface PublishedAttribute {
  readonly DataType: string;
  readonly StringValue?: string;
  readonly BinaryValue?: string;
}

/** What a Publish asks SNS to send, after parsing. */
export interface PublishedMessage {
  readonly message: string;
  readonly subject?: string;
  readonly messageStructure?: string;
  readonly attributes: Readonly<Record<string, PublishedAttribute>>;
}

/**
 * A message is at most 256 KB, and its attributes (names, types and values) count toward it.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Message: "at most 256 KB in size (262,144 bytes,
 * not 262,144 characters)"); https://docs.aws.amazon.com/sns/latest/api/API_MessageAttributeValue.html
 */
export const MAX_MESSAGE_BYTES = 262_144;
/** https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject: "less than 100 characters long") */
export const MAX_SUBJECT_LENGTH = 99;
/** https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html (Name, Type: up to 256) */
const MAX_ATTRIBUTE_NAME_LENGTH = 256;
const MAX_ATTRIBUTE_TYPE_BYTES = 256;

/** Every rule Publish applies to the message itself; throws SNS's error for the first one broken. */
export function checkPublishedMessage(published: PublishedMessage): void {
  if (published.subject !== undefined) checkSubject(published.subject);
  checkMessageStructure(published);
  for (const [name, attribute] of Object.entries(published.attributes)) checkAttribute(name, attribute);
  const size = messageSize(published);
  if (size > MAX_MESSAGE_BYTES) {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: Message too long: the message and its attributes are ${size} bytes, more than the ` +
        `${MAX_MESSAGE_BYTES} bytes (256 KB) SNS takes`,
    );
  }
}

/**
 * The size SNS counts against the 256 KB quota: the message in UTF-8, plus each attribute's name, type and value.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html ("All parts of the message attribute,
 * including name, type, and value, are included in the message size restriction")
 */
export function messageSize(published: Pick<PublishedMessage, 'message' | 'attributes'>): number {
  let size = utf8Bytes(published.message);
  for (const [name, attribute] of Object.entries(published.attributes)) {
    size += utf8Bytes(name) + utf8Bytes(attribute.DataType);
    if (attribute.StringValue !== undefined) size += utf8Bytes(attribute.StringValue);
    if (attribute.BinaryValue !== undefined) size += Buffer.from(attribute.BinaryValue, 'base64').byteLength;
  }
  return size;
}

/**
 * A subject, when given, is not empty, is shorter than 100 characters and holds only printable ASCII: no line
 * breaks or other control characters, nothing outside ASCII.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (Subject: "no line breaks or control characters, and
 * less than 100 characters long"); SNS refuses non-ASCII and non-printable subjects:
 * https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-alertmanager-receiver-validation-truncation.html
 */
function checkSubject(subject: string): void {
  const problem =
    subject === ''
      ? 'it is empty'
      : subject.length > MAX_SUBJECT_LENGTH
        ? `it is ${subject.length} characters long; it must be less than 100`
        : /[\r\n]/.test(subject)
          ? 'it contains a line break'
          : /[^\x20-\x7e]/.test(subject)
            ? 'it contains a character that is not printable ASCII'
            : undefined;
  if (problem) throw new AwsError('InvalidParameter', `Invalid parameter: Subject (${problem})`);
}

/**
 * With MessageStructure `json`, the message is a JSON object with a string `default` key.
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html (MessageStructure)
 */
function checkMessageStructure(published: PublishedMessage): void {
  if (published.messageStructure === undefined) return;
  if (published.messageStructure !== 'json') {
    throw new AwsError(
      'InvalidParameter',
      `Invalid parameter: MessageStructure: "${published.messageStructure}" is not a valid value; the only one is json`,
    );
  }
  let parsed: unknown;
  try {
    parsed = parseJson(published.message, { what: 'The JSON message' });
  } catch (error: unknown) {
    const reason = error instanceof JsonTooDeepError ? error.message : 'JSON message body failed to parse';
    throw new AwsError('InvalidParameter', `Invalid parameter: Message Structure - ${reason}`);
  }
  const isObject = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
  if (!isObject || typeof (parsed as Record<string, unknown>).default !== 'string') {
    throw new AwsError(
      'InvalidParameter',
      'Invalid parameter: Message Structure - No default entry in JSON message body',
    );
  }
}

const DATA_TYPE = /^(String|String\.Array|Number|Binary)(\..+)?$/;

/**
 * Message attribute names have up to 256 letters, digits, `_`, `-` and `.`; they neither start nor end with a
 * period, hold no two periods in a row and do not start with `AWS.` or `Amazon.` (any case). The type is String,
 * String.Array, Number or Binary, optionally with a custom label; name, type and value are not empty.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html
 */
function checkAttribute(name: string, attribute: PublishedAttribute): void {
  const nameProblem =
    name.length === 0 || name.length > MAX_ATTRIBUTE_NAME_LENGTH
      ? `must be 1 to ${MAX_ATTRIBUTE_NAME_LENGTH} characters`
      : !/^[A-Za-z0-9_.-]+$/.test(name)
        ? 'may hold only letters, digits, "_", "-" and "."'
        : name.startsWith('.') || name.endsWith('.') || name.includes('..')
          ? 'must not start or end with a period or hold two periods in a row'
          : /^(aws|amazon)\./i.test(name)
            ? 'must not start with the prefixes AWS. or Amazon., which AWS reserves'
            : undefined;
  if (nameProblem) {
    throw new AwsError(
      'ParameterValueInvalid',
      `The message attribute name '${name}' is invalid: it ${nameProblem}.`,
    );
  }
  const type = attribute.DataType;
  if (!DATA_TYPE.test(type) || utf8Bytes(type) > MAX_ATTRIBUTE_TYPE_BYTES) {
    throw new AwsError(
      'ParameterValueInvalid',
      `The message attribute '${name}' has an invalid message attribute type '${type}'; the types are String, ` +
        'String.Array, Number and Binary, optionally followed by a custom label (String.name).',
    );
  }
  const base = type.startsWith('String.Array') ? 'String.Array' : type.split('.')[0];
  const value = base === 'Binary' ? attribute.BinaryValue : attribute.StringValue;
  if (value === undefined || value === '') {
    throw new AwsError(
      'ParameterValueInvalid',
      `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`,
    );
  }
  if (base === 'Number' && !Number.isFinite(Number(value))) {
    throw new AwsError(
      'ParameterValueInvalid',
      `The message attribute '${name}' with type 'Number' must contain a numeric value, not '${value}'.`,
    );
  }
  if (base === 'String.Array' && !isJsonArray(value)) {
    throw new AwsError(
      'ParameterValueInvalid',
      `The message attribute '${name}' with type 'String.Array' must contain a JSON array.`,
    );
  }
}

function isJsonArray(text: string): boolean {
  try {
    return Array.isArray(parseJson(text, { what: 'The message attribute' }));
  } catch {
    return false;
  }
}
