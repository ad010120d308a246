import { requireEnv } from '../../../lambdas/shared/env';
import {
  DbRefreshError,
  ERROR_NAMES,
  PollTimeoutError,
  TerminalStateError,
} from '../../../lambdas/shared/errors';

describe('errors', () => {
  it('names each error after its class, which is what Step Functions matches', () => {
    const error = new PollTimeoutError('Restore temporary copy did not finish by 2026-11-21T04:00:00Z');

    expect(error.name).toBe('PollTimeoutError');
    expect(error).toBeInstanceOf(DbRefreshError);
    expect(ERROR_NAMES.pollTimeout).toBe('PollTimeoutError');
  });

  it('keeps the cause and says which resource is stuck in which state', () => {
    const cause = new Error('describe output');
    const error = new TerminalStateError('app1-dev-new-k3x9q2ab', 'incompatible-restore', { cause });

    expect(error.message).toBe('app1-dev-new-k3x9q2ab is in terminal state "incompatible-restore"');
    expect(error.cause).toBe(cause);
    expect(error.status).toBe('incompatible-restore');
  });

  it('keeps its name when classes are renamed, as minified bundles do', () => {
    const Renamed = PollTimeoutError;
    Object.defineProperty(Renamed, 'name', { value: 'a' });

    expect(new Renamed('late').name).toBe('PollTimeoutError');
  });

  it('has distinct names for every Catch/Retry', () => {
    const names = Object.values(ERROR_NAMES);

    expect(new Set(names).size).toBe(names.length);
    expect(names.every((name) => name.endsWith('Error'))).toBe(true);
  });
});

describe('requireEnv', () => {
  afterEach(() => {
    delete process.env.DBREFRESH_TEST_VARIABLE;
  });

  it('returns the value of a set variable', () => {
    process.env.DBREFRESH_TEST_VARIABLE = 'dbrefresh-history';

    expect(requireEnv('DBREFRESH_TEST_VARIABLE')).toBe('dbrefresh-history');
  });

  it('fails naming the variable when it is missing or empty', () => {
    process.env.DBREFRESH_TEST_VARIABLE = '';

    expect(() => requireEnv('DBREFRESH_TEST_VARIABLE')).toThrow(
      'Environment variable DBREFRESH_TEST_VARIABLE is not set',
    );
    expect(() => requireEnv('DBREFRESH_NEVER_SET')).toThrow('DBREFRESH_NEVER_SET');
  });
});
