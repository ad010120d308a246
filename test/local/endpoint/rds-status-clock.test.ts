import type { Transition } from '../../../local/endpoint/rds/state';
import { startTransition, transitionStatus } from '../../../local/endpoint/rds/status-clock';

const START = new Date('2026-03-01T10:00:00.000Z');

function at(milliseconds: number): Date {
  return new Date(START.getTime() + milliseconds);
}

function restore(phaseMilliseconds: number, workFinishedAfter?: number): Transition {
  const transition = startTransition(
    {
      action: 'RestoreDBInstanceToPointInTime',
      phases: ['creating', 'backing-up'],
      outcome: 'available',
      hasWork: true,
    },
    START,
    phaseMilliseconds,
  );
  if (workFinishedAfter === undefined) return transition;
  return { ...transition, work: 'done', workFinishedAt: at(workFinishedAfter).toISOString() };
}

describe('transitionStatus', () => {
  it.each([
    ['while the engine works, however long', restore(1000), 60_000, 'creating', false],
    ['before the first phase has lasted its minimum', restore(1000, 200), 999, 'creating', false],
    ['in the later phase once work and minimum are done', restore(1000, 200), 1000, 'backing-up', false],
    ['at the outcome after every phase', restore(1000, 200), 2000, 'available', true],
    ['later phases start when a slow engine finishes', restore(1000, 5000), 5500, 'backing-up', false],
    ['at the outcome one phase after a slow engine', restore(1000, 5000), 6000, 'available', true],
    ['at once with no minimum (delayScale 0)', restore(0, 10), 10, 'available', true],
  ])('shows the right status %s', (_, transition, elapsed, status, over) => {
    expect(transitionStatus(transition, at(elapsed))).toEqual({ status, over });
  });

  it('shows the failed status as soon as the work fails', () => {
    const failed: Transition = { ...restore(1000), work: 'failed', failedStatus: 'incompatible-restore' };

    expect(transitionStatus(failed, START)).toEqual({ status: 'incompatible-restore', over: true });
  });

  it('needs only the minimum time for changes without engine work', () => {
    const rename = startTransition(
      { action: 'ModifyDBInstance', phases: ['renaming'], outcome: 'available', hasWork: false },
      START,
      1000,
    );

    expect(transitionStatus(rename, at(999)).status).toBe('renaming');
    expect(transitionStatus(rename, at(1000)).status).toBe('available');
  });
});
