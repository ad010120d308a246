import { clusterSwapNames, duplicateNames, instanceSwapNames } from '../../../lambdas/plan/names';

const RUN = 'ab12cd34';

describe('instanceSwapNames', () => {
  it('renames the live replicas, then the target, then the copy to the target name', () => {
    const swap = instanceSwapNames(
      { runId: RUN, targetId: 'app1-dev', targetExists: true },
      ['app1-dev-ro', 'app1-dev-ro2'],
      [{ instance: 'app1-dev-ro', instanceClass: 'db.t4g.small', port: 3307 }],
    );

    expect(swap.renames).toEqual([
      { kind: 'instance', from: 'app1-dev-ro', to: 'app1-dev-ro-old-ab12cd34' },
      { kind: 'instance', from: 'app1-dev-ro2', to: 'app1-dev-ro2-old-ab12cd34' },
      { kind: 'instance', from: 'app1-dev', to: 'app1-dev-old-ab12cd34' },
      { kind: 'instance', from: 'app1-dev-new-ab12cd34', to: 'app1-dev' },
    ]);
    expect(swap.retired).toEqual({
      instances: ['app1-dev-ro-old-ab12cd34', 'app1-dev-ro2-old-ab12cd34'],
      main: 'app1-dev-old-ab12cd34',
    });
  });

  it('creates the new replicas under their final names, after the swap', () => {
    const swap = instanceSwapNames(
      { runId: RUN, targetId: 'app1-dev', targetExists: true },
      [],
      [
        { instance: 'app1-dev-ro', instanceClass: 'db.t4g.small', port: 3307 },
        { instance: 'app1-dev-ro2', instanceClass: 'db.t4g.medium' },
      ],
    );

    expect(swap.writer).toBeNull();
    expect(swap.replicas).toEqual([
      { id: 'app1-dev-ro', finalId: 'app1-dev-ro', instanceClass: 'db.t4g.small', port: 3307 },
      { id: 'app1-dev-ro2', finalId: 'app1-dev-ro2', instanceClass: 'db.t4g.medium' },
    ]);
  });

  it('renames only the copy on a first refresh and retires nothing', () => {
    const swap = instanceSwapNames({ runId: RUN, targetId: 'app1-dev', targetExists: false }, [], []);

    expect(swap.renames).toEqual([{ kind: 'instance', from: 'app1-dev-new-ab12cd34', to: 'app1-dev' }]);
    expect(swap.retired).toEqual({ instances: [], main: null });
  });
});

describe('clusterSwapNames', () => {
  it('retires readers, writer and cluster, then renames the copy and its members', () => {
    const swap = clusterSwapNames(
      { runId: RUN, targetId: 'shop-int', targetExists: true },
      { writer: 'shop-int-1', readers: ['shop-int-2'] },
      { instance: 'shop-int-1', instanceClass: 'db.r6g.large' },
      [{ instance: 'shop-int-2', instanceClass: 'db.r6g.large' }],
    );

    expect(swap.renames).toEqual([
      { kind: 'instance', from: 'shop-int-2', to: 'shop-int-2-old-ab12cd34' },
      { kind: 'instance', from: 'shop-int-1', to: 'shop-int-1-old-ab12cd34' },
      { kind: 'cluster', from: 'shop-int', to: 'shop-int-old-ab12cd34' },
      { kind: 'cluster', from: 'shop-int-new-ab12cd34', to: 'shop-int' },
      { kind: 'instance', from: 'shop-int-1-new-ab12cd34', to: 'shop-int-1' },
      { kind: 'instance', from: 'shop-int-2-new-ab12cd34', to: 'shop-int-2' },
    ]);
    expect(swap.retired).toEqual({
      instances: ['shop-int-2-old-ab12cd34', 'shop-int-1-old-ab12cd34'],
      main: 'shop-int-old-ab12cd34',
    });
  });

  it('gives the copy writer and readers temporary names', () => {
    const swap = clusterSwapNames(
      { runId: RUN, targetId: 'shop-int', targetExists: true },
      { writer: 'shop-int-1', readers: [] },
      { instance: 'shop-int-1', instanceClass: 'db.r6g.large' },
      [{ instance: 'shop-int-2', instanceClass: 'db.r6g.xlarge' }],
    );

    expect(swap.writer).toEqual({
      id: 'shop-int-1-new-ab12cd34',
      finalId: 'shop-int-1',
      instanceClass: 'db.r6g.large',
    });
    expect(swap.replicas).toEqual([
      { id: 'shop-int-2-new-ab12cd34', finalId: 'shop-int-2', instanceClass: 'db.r6g.xlarge' },
    ]);
  });

  it('renames only the copy and its members on a first refresh', () => {
    const swap = clusterSwapNames(
      { runId: RUN, targetId: 'shop-int', targetExists: false },
      { readers: [] },
      { instance: 'shop-int-1', instanceClass: 'db.r6g.large' },
      [],
    );

    expect(swap.renames).toEqual([
      { kind: 'cluster', from: 'shop-int-new-ab12cd34', to: 'shop-int' },
      { kind: 'instance', from: 'shop-int-1-new-ab12cd34', to: 'shop-int-1' },
    ]);
    expect(swap.retired).toEqual({ instances: [], main: null });
  });

  it('shortens long member names so the run suffix fits in 63 characters', () => {
    const long = `shop-${'x'.repeat(55)}`;
    const swap = clusterSwapNames(
      { runId: RUN, targetId: 'shop-int', targetExists: false },
      { readers: [] },
      { instance: long, instanceClass: 'db.r6g.large' },
      [],
    );

    expect(swap.writer?.id).toHaveLength(63);
    expect(swap.writer?.id).toMatch(/^shop-x+-new-ab12cd34$/);
    expect(swap.writer?.finalId).toBe(long);
  });
});

describe('duplicateNames', () => {
  it('finds no duplicates in an ordinary swap', () => {
    const swap = instanceSwapNames(
      { runId: RUN, targetId: 'app1-dev', targetExists: true },
      ['app1-dev-ro'],
      [],
    );

    expect(duplicateNames(swap)).toEqual([]);
  });

  it('reports two members whose shortened names collide', () => {
    const prefix = `shop-${'x'.repeat(50)}`;
    const swap = clusterSwapNames(
      { runId: RUN, targetId: 'shop-int', targetExists: true },
      { writer: `${prefix}-a`, readers: [`${prefix}-b`] },
      { instance: 'shop-int-1', instanceClass: 'db.r6g.large' },
      [],
    );

    expect(duplicateNames(swap)).toEqual([`instance:${prefix.slice(0, 50)}-old-ab12cd34`]);
  });

  it('keeps instance and cluster names apart, as RDS does', () => {
    const swap = clusterSwapNames(
      { runId: RUN, targetId: 'shop-int', targetExists: true },
      { writer: 'shop-int', readers: [] },
      { instance: 'shop-int', instanceClass: 'db.r6g.large' },
      [],
    );

    expect(duplicateNames(swap)).toEqual([]);
  });
});
