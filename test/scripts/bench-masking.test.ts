import { splitStatements } from '../../lambdas/shared/sql/split-statements';
import {
  type EngineResult,
  formatMaskingReport,
  type MaskingReport,
  maskingScript,
  runOrder,
} from '../../scripts/bench/masking';

describe('maskingScript', () => {
  it.each(['mysql', 'postgres'] as const)(
    'splits into one UPDATE per customer, in id order (%s)',
    (dialect) => {
      const script = maskingScript(dialect, 2500);

      const statements = splitStatements(script, dialect);

      expect(statements).toHaveLength(2500);
      expect(statements.map((statement) => Number(/WHERE id = (\d+)$/.exec(statement.text)?.[1]))).toEqual(
        Array.from({ length: 2500 }, (_, index) => index + 1),
      );
      expect(statements.every((statement) => statement.text.startsWith('UPDATE customers'))).toBe(true);
    },
  );

  it.each(['mysql', 'postgres'] as const)('masks the e-mail address in every statement (%s)', (dialect) => {
    const statements = splitStatements(maskingScript(dialect, 300), dialect);

    expect(
      statements.filter((statement) => /email = .*@example\.invalid/s.test(statement.text)),
    ).toHaveLength(300);
  });

  it('mixes single-line, multi-line and commented statements', () => {
    const statements = splitStatements(maskingScript('mysql', 1000), 'mysql');

    expect(statements.filter((statement) => statement.text.includes('\n'))).toHaveLength(20);
    expect(
      statements.filter((statement) => statement.text.includes('/* right to erasure */')),
    ).not.toHaveLength(0);
    expect(
      statements.filter((statement) => statement.text.includes('-- keeps rows told apart')),
    ).toHaveLength(20);
    expect(statements.filter((statement) => statement.text.includes('street = NULL'))).not.toHaveLength(0);
  });

  it('puts a comment line before every thousand customers', () => {
    const script = maskingScript('postgres', 2500);

    expect(script.match(/^-- Customers \d+ to \d+$/gm)).toEqual([
      '-- Customers 1 to 1000',
      '-- Customers 1001 to 2000',
      '-- Customers 2001 to 2500',
    ]);
  });

  it('writes each dialect its own string concatenation', () => {
    expect(maskingScript('mysql', 1)).toContain(`email = CONCAT('user', id, '@example.invalid')`);
    expect(maskingScript('postgres', 1)).toContain(`email = 'user' || id || '@example.invalid'`);
  });
});

describe('runOrder', () => {
  it('alternates client, ours, ours, client for two runs each', () => {
    expect(runOrder(2)).toEqual([
      ['client', 'ours'],
      ['ours', 'client'],
    ]);
  });

  it('gives each runner one run per round', () => {
    const order = runOrder(3);

    expect(order).toEqual([
      ['client', 'ours'],
      ['ours', 'client'],
      ['client', 'ours'],
    ]);
  });
});

function engineResult(overrides: Partial<EngineResult> = {}): EngineResult {
  return {
    engine: 'mariadb',
    statements: 100_000,
    scriptBytes: 15_000_000,
    client: {
      name: 'mariadb --batch -h 127.0.0.1 -P 3306 -u bench shop < masking-mariadb.sql',
      runSeconds: [10, 11],
      medianSeconds: 10.5,
      statementsPerSecond: 9523.8,
    },
    ours: {
      name: 'our executor (splitScript + executeScript)',
      runSeconds: [10.9, 11.1],
      medianSeconds: 11,
      statementsPerSecond: 9090.9,
      splitSeconds: 0.41,
    },
    ratio: 0.954,
    tableChecksum: 'rows 100000, masked 100000, checksum 123',
    problems: [],
    pass: true,
    ...overrides,
  };
}

function report(engines: EngineResult[]): MaskingReport {
  return {
    statements: 100_000,
    minRatio: 0.9,
    runs: 2,
    budgetSeconds: 180,
    seconds: 95.4,
    engines,
    pass: engines.every((engine) => engine.pass),
  };
}

describe('formatMaskingReport', () => {
  it('reports each runner’s statements per second, its runs and the ratio', () => {
    const text = formatMaskingReport(report([engineResult()]));

    expect(text).toContain('masking: a 100,000-statement masking script');
    expect(text).toContain(
      '    client             9,524 statements/s (median of 10.0 s, 11.0 s): mariadb --batch',
    );
    expect(text).toContain(
      '    ours               9,091 statements/s (median of 10.9 s, 11.1 s; reading and splitting 0.41 s)',
    );
    expect(text).toContain("    ratio              0.95× the client's throughput (target ≥ 0.9×) PASS");
    expect(text).toContain('14.3 MB; rows 100000, masked 100000, checksum 123');
    expect(text).toContain('  took                 95 s (budget 180 s, up to 2 runs of each)');
    expect(text.endsWith('  PASS')).toBe(true);
  });

  it('reports an engine under the target as FAIL with what it missed', () => {
    const slow = engineResult({
      engine: 'postgres',
      ratio: 0.5,
      problems: ["our executor runs 0.50× the client's throughput, under the 0.9× target"],
      pass: false,
    });

    const text = formatMaskingReport(report([engineResult(), slow]));

    expect(text).toContain("    ratio              0.50× the client's throughput (target ≥ 0.9×) FAIL");
    expect(text).toContain(
      "    MISSED: our executor runs 0.50× the client's throughput, under the 0.9× target",
    );
    expect(text.endsWith('  FAIL')).toBe(true);
  });
});
