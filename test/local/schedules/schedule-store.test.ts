import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { LocalScheduleDefinition } from '../../../local/schedules/local-schedules';
import { SCHEDULES_FILE, ScheduleStore } from '../../../local/schedules/schedule-store';

const FIRST = new Date('2025-05-01T08:00:00Z');
const LATER = new Date('2025-05-02T08:00:00Z');

function definition(expression = 'cron(0 6 ? * SAT *)'): LocalScheduleDefinition {
  return {
    name: 'shop-dev',
    groupName: 'dbrefresh',
    expression,
    timezone: 'UTC',
    state: 'ENABLED',
    target: {
      arn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:DbRefresh',
      roleArn: 'arn:aws:iam::000000000000:role/dbrefresh-scheduler',
      input: '{}',
      maximumEventAgeSeconds: 3600,
      maximumRetryAttempts: 10,
    },
  };
}

const FIRE = {
  scheduledTime: '2025-05-01T09:00:00.000Z',
  firedAt: '2025-05-01T09:00:00.000Z',
  executionArn: 'arn:x',
};

let stateDir: string;

beforeEach(() => {
  stateDir = mkdtempSync(path.join(tmpdir(), 'schedule-store-'));
});

afterEach(() => {
  rmSync(stateDir, { recursive: true, force: true });
});

describe('ScheduleStore', () => {
  it('keeps creation dates and the last fire across restarts while the definition stays the same', () => {
    new ScheduleStore({ groupNames: ['dbrefresh'], schedules: [definition()] }, stateDir, FIRST).recordFire(
      'dbrefresh',
      'shop-dev',
      FIRE,
    );

    const reopened = new ScheduleStore(
      { groupNames: ['dbrefresh'], schedules: [definition()] },
      stateDir,
      LATER,
    );

    expect(reopened.get('dbrefresh', 'shop-dev')).toMatchObject({
      creationDate: FIRST,
      lastModificationDate: FIRST,
      lastFire: FIRE,
    });
    expect(reopened.groups()).toEqual([
      { name: 'dbrefresh', creationDate: FIRST },
      { name: 'default', creationDate: FIRST },
    ]);
  });

  it('marks a changed definition modified, keeping its creation date', () => {
    new ScheduleStore({ groupNames: ['dbrefresh'], schedules: [definition()] }, stateDir, FIRST);

    const changed = new ScheduleStore(
      { groupNames: ['dbrefresh'], schedules: [definition('rate(1 day)')] },
      stateDir,
      LATER,
    );

    expect(changed.get('dbrefresh', 'shop-dev')).toMatchObject({
      creationDate: FIRST,
      lastModificationDate: LATER,
    });
    expect(changed.get('dbrefresh', 'shop-dev')?.lastFire).toBeUndefined();
  });

  it('forgets schedules the refresh files no longer declare', () => {
    new ScheduleStore({ groupNames: ['dbrefresh'], schedules: [definition()] }, stateDir, FIRST);

    const emptied = new ScheduleStore({ groupNames: ['dbrefresh'], schedules: [] }, stateDir, LATER);

    expect(emptied.list()).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(stateDir, SCHEDULES_FILE), 'utf8')).schedules).toEqual({});
  });

  it('starts afresh from a damaged file', () => {
    writeFileSync(path.join(stateDir, SCHEDULES_FILE), '{ not json');

    const store = new ScheduleStore(
      { groupNames: ['dbrefresh'], schedules: [definition()] },
      stateDir,
      LATER,
    );

    expect(store.get('dbrefresh', 'shop-dev')?.creationDate).toEqual(LATER);
  });

  it('rejects a fire of a schedule it does not hold', () => {
    const store = new ScheduleStore({ groupNames: ['dbrefresh'], schedules: [] }, undefined, FIRST);

    expect(() => store.recordFire('dbrefresh', 'gone', FIRE)).toThrow('No local schedule dbrefresh/gone');
  });
});
