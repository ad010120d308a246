import { AwsError } from '../service';
import type { ServiceProtocol } from './service-protocols';

/** Why a request's signature was refused; each protocol has its own code and status for each reason. */
export type AuthenticationFailure =
  /** No signature at all (no Authorization header, no X-Amz-Signature). */
  | 'missing'
  /** A signature missing a part, or with a part AWS cannot read. */
  | 'incomplete'
  /** The signature does not match, or its scope does not fit the request. */
  | 'mismatch'
  /** An access key this account never issued. */
  | 'unknown-key'
  /** A session token missing, forged, or given with a long-term key. */
  | 'invalid-token'
  /** The request's time is more than 15 minutes from the endpoint's. */
  | 'skewed'
  /** A presigned request past its X-Amz-Expires. */
  | 'expired';

interface ErrorShape {
  readonly code: string;
  readonly status: number;
}

/** One failure's error in each protocol, and AWS's message for it (S3 has its own wording). */
interface FailureErrors {
  readonly message: string;
  readonly query: ErrorShape;
  /** AWS JSON services; REST-JSON services use the same exception with 403. */
  readonly json: string;
  readonly s3: ErrorShape & { readonly message: string };
}

const SIGNATURE_MISMATCH_MESSAGE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
  'and signing method. Consult the service documentation for details.';
const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';

/**
 * The error of each failure, per protocol:
 * - Query services answer with the Common Errors of their API references,
 *   https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/CommonErrors.html (MissingAuthenticationToken 403,
 *   IncompleteSignature 400, InvalidClientTokenId 403, RequestExpired 400), and SignatureDoesNotMatch 403 for a wrong
 *   or expired signature, https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html;
 * - AWS JSON services with the exceptions DynamoDB's error reference lists, all 400
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html);
 * - S3 with its own codes (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): an unsigned request
 *   is anonymous and denied, and an expired presigned URL is AccessDenied "Request has expired".
 */
const ERRORS: Readonly<Record<AuthenticationFailure, FailureErrors>> = {
  missing: {
    message: 'Request is missing Authentication Token',
    query: { code: 'MissingAuthenticationToken', status: 403 },
    json: 'MissingAuthenticationTokenException',
    s3: { code: 'AccessDenied', status: 403, message: 'Access Denied' },
  },
  incomplete: {
    message: 'The request signature does not conform to AWS standards.',
    query: { code: 'IncompleteSignature', status: 400 },
    json: 'IncompleteSignatureException',
    s3: {
      code: 'AuthorizationHeaderMalformed',
      status: 400,
      message: 'The authorization header that you provided is not valid.',
    },
  },
  mismatch: {
    message: SIGNATURE_MISMATCH_MESSAGE,
    query: { code: 'SignatureDoesNotMatch', status: 403 },
    json: 'InvalidSignatureException',
    s3: {
      code: 'SignatureDoesNotMatch',
      status: 403,
      message:
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    },
  },
  'unknown-key': {
    message: INVALID_TOKEN_MESSAGE,
    query: { code: 'InvalidClientTokenId', status: 403 },
    json: 'UnrecognizedClientException',
    s3: {
      code: 'InvalidAccessKeyId',
      status: 403,
      message: 'The AWS access key ID that you provided does not exist in our records.',
    },
  },
  'invalid-token': {
    message: INVALID_TOKEN_MESSAGE,
    query: { code: 'InvalidClientTokenId', status: 403 },
    json: 'UnrecognizedClientException',
    s3: {
      code: 'InvalidToken',
      status: 400,
      message: 'The provided token is malformed or otherwise invalid.',
    },
  },
  skewed: {
    message: 'Signature expired or not yet current.',
    query: { code: 'SignatureDoesNotMatch', status: 403 },
    json: 'InvalidSignatureException',
    s3: {
      code: 'RequestTimeTooSkewed',
      status: 403,
      message: "The difference between the request time and the server's time is too large.",
    },
  },
  expired: {
    message: 'Request has expired.',
    query: { code: 'RequestExpired', status: 400 },
    json: 'InvalidSignatureException',
    s3: { code: 'AccessDenied', status: 403, message: 'Request has expired' },
  },
};

function shapeOf(
  failure: AuthenticationFailure,
  protocol: ServiceProtocol,
): ErrorShape & { message: string } {
  const errors = ERRORS[failure];
  if (protocol === 's3') return errors.s3;
  if (protocol === 'query') return { ...errors.query, message: errors.message };
  return { code: errors.json, status: protocol === 'rest-json' ? 403 : 400, message: errors.message };
}

/** A refused signature: AWS's code, status and message for the protocol, then what exactly is wrong locally. */
export class AuthenticationError extends AwsError {
  constructor(
    readonly failure: AuthenticationFailure,
    protocol: ServiceProtocol,
    detail: string,
  ) {
    const shape = shapeOf(failure, protocol);
    super(shape.code, `${shape.message} ${detail}`, shape.status);
  }
}
