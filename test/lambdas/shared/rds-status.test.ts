import { TerminalStateError } from '../../../lambdas/shared/errors';
import { hasReachedStatus } from '../../../lambdas/shared/rds-status';

describe('hasReachedStatus', () => {
  it('is true once the resource has the wanted status', () => {
    expect(hasReachedStatus('app1-dev-new-k3x9q2ab', 'available')).toBe(true);
    expect(hasReachedStatus('app1-dev-old-k3x9q2ab', 'stopped', 'stopped')).toBe(true);
  });

  it.each(['creating', 'backing-up', 'modifying', 'renaming', 'rebooting', undefined])(
    'is false while %s',
    (status) => {
      expect(hasReachedStatus('app1-dev-new-k3x9q2ab', status)).toBe(false);
    },
  );

  it.each([
    'incompatible-restore',
    'storage-full',
    'failed',
    'inaccessible-encryption-credentials',
    'restore-error',
  ])('fails at once on the terminal status %s', (status) => {
    expect(() => hasReachedStatus('app1-dev-new-k3x9q2ab', status)).toThrow(TerminalStateError);
    expect(() => hasReachedStatus('app1-dev-new-k3x9q2ab', status)).toThrow(
      `app1-dev-new-k3x9q2ab is in terminal state "${status}"`,
    );
  });
});
