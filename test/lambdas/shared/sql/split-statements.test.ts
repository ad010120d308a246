import {
  type SqlDialect,
  type SqlStatement,
  splitStatements,
} from '../../../../lambdas/shared/sql/split-statements';

const DIALECTS: readonly SqlDialect[] = ['mysql', 'postgres'];

/** The statements expected from `[text, line]` pairs, numbered in order. */
function statements(...expected: ReadonlyArray<readonly [string, number]>): SqlStatement[] {
  return expected.map(([text, line], i) => ({ text, index: i + 1, line }));
}

describe('splitStatements', () => {
  describe.each(DIALECTS)('in both dialects (%s)', (dialect) => {
    it('splits at semicolons, numbering the statements and giving the line each starts on', () => {
      const script = 'SELECT 1;\nSELECT 2; SELECT 3;\n\nUPDATE users\n   SET email = NULL\n WHERE id = 1;\n';

      expect(splitStatements(script, dialect)).toEqual(
        statements(
          ['SELECT 1', 1],
          ['SELECT 2', 2],
          ['SELECT 3', 2],
          ['UPDATE users\n   SET email = NULL\n WHERE id = 1', 4],
        ),
      );
    });

    it('returns a final statement that has no trailing semicolon', () => {
      expect(splitStatements('SELECT 1;\nSELECT 2\n', dialect)).toEqual(
        statements(['SELECT 1', 1], ['SELECT 2', 2]),
      );
    });

    it('drops empty statements and statements made only of comments', () => {
      const script = ';;\n  ;\n-- nothing here;\n/* nor; here */;\nSELECT 1;;\n';

      expect(splitStatements(script, dialect)).toEqual(statements(['SELECT 1', 5]));
    });

    it.each(['', ' \n\t\n', '-- only a comment\n', '/* only; a comment */'])(
      'returns no statements for the script %j',
      (script) => {
        expect(splitStatements(script, dialect)).toEqual([]);
      },
    );

    it('leaves out comments before and after a statement and keeps those inside it', () => {
      const script =
        "-- mask emails;\n/* ticket 42; */ UPDATE users /* all; rows */ SET email = 'x' -- done;\n;";

      expect(splitStatements(script, dialect)).toEqual(
        statements(["UPDATE users /* all; rows */ SET email = 'x'", 2]),
      );
    });

    it('ignores a UTF-8 byte order mark at the start', () => {
      expect(splitStatements('\uFEFFSELECT 1;\nSELECT 2;', dialect)).toEqual(
        statements(['SELECT 1', 1], ['SELECT 2', 2]),
      );
    });

    it('does not split at semicolons inside quotes', () => {
      const script = "SELECT 'a;b', 'it''s;';\nSELECT \"x;\"\"y\" FROM t;";

      expect(splitStatements(script, dialect)).toEqual(
        statements(["SELECT 'a;b', 'it''s;'", 1], ['SELECT "x;""y" FROM t', 2]),
      );
    });

    it('splits a 100,000-statement script', () => {
      const script = Array.from(
        { length: 100_000 },
        (_, i) => `UPDATE t SET a = 'x;y' WHERE id = ${i + 1};\n`,
      ).join('');

      const result = splitStatements(script, dialect);

      expect(result).toHaveLength(100_000);
      expect(result[99_999]).toEqual({
        text: "UPDATE t SET a = 'x;y' WHERE id = 100000",
        index: 100_000,
        line: 100_000,
      });
    });

    it.each([
      ["SELECT 1;\nSELECT 'abc;\n", /^Line 2: unterminated string literal '\.\.\.'/],
      ['SELECT 1;\n\n/* never; closed\n', /^Line 3: unterminated block comment/],
    ])('rejects the unterminated token in %j, naming the line it starts on', (script, message) => {
      expect(() => splitStatements(script, dialect)).toThrow(message);
    });
  });

  it.each([
    ['mysql', 'SELECT\n  2'],
    ['postgres', 'SELECT\r\n  2'],
  ] as const)(
    'counts lines in CRLF scripts and keeps line breaks inside statements as the %s client does',
    (dialect, text) => {
      const script = 'SELECT 1;\r\n\r\nSELECT\r\n  2;\r\n-- end\r\n';

      expect(splitStatements(script, dialect)).toEqual(statements(['SELECT 1', 1], [text, 3]));
    },
  );

  describe('for mysql', () => {
    it.each([
      ['# starts a comment', '# skip; this\nSELECT 1 # and; this\n;', statements(['SELECT 1', 2])],
      [
        '-- and a space start a comment',
        '-- skip; this\nSELECT 1 -- and; this\n;',
        statements(['SELECT 1', 2]),
      ],
      ['-- and a tab start a comment', 'SELECT 1 --\tnot; split\n;', statements(['SELECT 1', 1])],
      ['-- at the end of a line starts a comment', 'SELECT 1 --\n;', statements(['SELECT 1', 1])],
      [
        '-- with no space after it is two minus signs inside a statement',
        'UPDATE t SET a = a--1;\nSELECT 2;',
        statements(['UPDATE t SET a = a--1', 1], ['SELECT 2', 2]),
      ],
      [
        '-- with no space after it is a comment where a statement would start (as in mariadb)',
        '--------; masks\nSELECT 1;',
        statements(['SELECT 1', 2]),
      ],
      ['block comments do not nest', '/* a /* b; */ SELECT 1;', statements(['SELECT 1', 1])],
    ])('reads comments: %s', (_rule, script, expected) => {
      expect(splitStatements(script, 'mysql')).toEqual(expected);
    });

    it.each([
      [
        'backslash escapes in \'...\' and "..." strings',
        'SELECT \'it\\\'s; ok\', "say \\"hi;\\"";\nSELECT 2;',
        statements(['SELECT \'it\\\'s; ok\', "say \\"hi;\\""', 1], ['SELECT 2', 2]),
      ],
      [
        'backtick identifiers, with `` doubling and no backslash escapes',
        'SELECT `a;``b`, `c\\` FROM t;\nSELECT 2;',
        statements(['SELECT `a;``b`, `c\\` FROM t', 1], ['SELECT 2', 2]),
      ],
      [
        'a string over several lines',
        "SELECT 'x;\ny';\nSELECT 2;",
        statements(["SELECT 'x;\ny'", 1], ['SELECT 2', 3]),
      ],
      ['\\N for NULL', 'SELECT \\N;', statements(['SELECT \\N', 1])],
    ])('reads %s', (_rule, script, expected) => {
      expect(splitStatements(script, 'mysql')).toEqual(expected);
    });

    it('keeps executable comments as statement text and does not split inside them', () => {
      const script = [
        '/*!40101 SET NAMES utf8mb4 */;',
        '/*!50001 CREATE VIEW v AS SELECT 1; */;',
        'SELECT 1 /*M!100100 , 2 */;',
      ].join('\n');

      expect(splitStatements(script, 'mysql')).toEqual(
        statements(
          ['/*!40101 SET NAMES utf8mb4 */', 1],
          ['/*!50001 CREATE VIEW v AS SELECT 1; */', 2],
          ['SELECT 1 /*M!100100 , 2 */', 3],
        ),
      );
    });

    it('ends statements at the delimiter a DELIMITER line sets, until DELIMITER ; restores it', () => {
      const script = [
        'DELIMITER //',
        'CREATE PROCEDURE mask_users()',
        'BEGIN',
        "  UPDATE users SET email = CONCAT('user', id, '@example.com');",
        '  DELETE FROM sessions;',
        'END//',
        'DELIMITER ;',
        'CALL mask_users();',
      ].join('\n');

      expect(splitStatements(script, 'mysql')).toEqual(
        statements(
          [
            "CREATE PROCEDURE mask_users()\nBEGIN\n  UPDATE users SET email = CONCAT('user', id, '@example.com');\n  DELETE FROM sessions;\nEND",
            2,
          ],
          ['CALL mask_users()', 8],
        ),
      );
    });

    it('reads DELIMITER in any case, indented, and takes its first word as the delimiter', () => {
      const script = [
        '  delimiter $$ -- for the trigger',
        'CREATE TRIGGER t_mask BEFORE INSERT ON users FOR EACH ROW BEGIN SET NEW.email = NULL; END $$',
        "SELECT 'a$$b'$$ SELECT 2 $$",
        'Delimiter ;',
        'SELECT 3;',
      ].join('\n');

      expect(splitStatements(script, 'mysql')).toEqual(
        statements(
          ['CREATE TRIGGER t_mask BEFORE INSERT ON users FOR EACH ROW BEGIN SET NEW.email = NULL; END', 2],
          ["SELECT 'a$$b'", 3],
          ['SELECT 2', 3],
          ['SELECT 3', 5],
        ),
      );
    });

    it('reads mysqldump routines: DELIMITER ;; around executable comments', () => {
      const script = [
        'DELIMITER ;;',
        '/*!50003 CREATE*/ /*!50003 TRIGGER t_mask BEFORE UPDATE ON users FOR EACH ROW BEGIN SET NEW.ssn = NULL; END */;;',
        'DELIMITER ;',
      ].join('\n');

      expect(splitStatements(script, 'mysql')).toEqual(
        statements([
          '/*!50003 CREATE*/ /*!50003 TRIGGER t_mask BEFORE UPDATE ON users FOR EACH ROW BEGIN SET NEW.ssn = NULL; END */',
          2,
        ]),
      );
    });

    it('ends a statement left open by a DELIMITER line, as the mysql client does', () => {
      expect(splitStatements('SELECT 1\nDELIMITER //\nSELECT 2//', 'mysql')).toEqual(
        statements(['SELECT 1', 1], ['SELECT 2', 3]),
      );
    });

    it('keeps USE, including the client form that needs no delimiter', () => {
      expect(splitStatements('USE app;\nuse app\nSELECT 1;', 'mysql')).toEqual(
        statements(['USE app', 1], ['use app', 2], ['SELECT 1', 3]),
      );
    });

    it.each([
      [
        'source on its own line',
        'SELECT 1;\nsource masks.sql\n',
        /^Line 2: mysql client command "source" is not supported/,
      ],
      [
        'SOURCE ended by a delimiter',
        'SOURCE masks.sql;',
        /^Line 1: mysql client command "source" is not supported/,
      ],
      ['\\. file', 'SELECT 1;\n\\. masks.sql\n', /^Line 2: mysql client command "\\\." is not supported/],
      ['\\G inside a statement', 'SELECT 1\\G', /^Line 1: mysql client command "\\G" is not supported/],
      ['quit', 'SELECT 1;\n\nquit\n', /^Line 3: mysql client command "quit" is not supported/],
      [
        'DELIMITER with no delimiter',
        'DELIMITER\nSELECT 1;',
        /^Line 1: DELIMITER must be followed by the new delimiter/,
      ],
      ['DELIMITER with a backslash', 'DELIMITER \\\\', /^Line 1: DELIMITER cannot contain a backslash/],
      [
        'DELIMITER after a statement on the same line',
        'SELECT 1; DELIMITER //\nSELECT 2;',
        /^Line 1: DELIMITER must be/,
      ],
    ])('rejects %s', (_command, script, message) => {
      expect(() => splitStatements(script, 'mysql')).toThrow(message);
    });

    it.each([
      ['SELECT "abc;', /^Line 1: unterminated string literal "\.\.\."/],
      ['SELECT 1;\nSELECT `abc;', /^Line 2: unterminated quoted identifier `\.\.\.`/],
      ["SELECT 'it\\';", /^Line 1: unterminated string literal/],
      ['SELECT 1;\n/*!40101 SET x = 1;', /^Line 2: unterminated executable comment/],
    ])('rejects the unterminated token in %j', (script, message) => {
      expect(() => splitStatements(script, 'mysql')).toThrow(message);
    });
  });

  describe('for postgres', () => {
    it.each([
      [
        '-- starts a comment even with no space after it',
        'SELECT 2--1;\n+ 3;',
        statements(['SELECT 2--1;\n+ 3', 1]),
      ],
      [
        'block comments nest',
        '/* outer /* inner; */ still; */ SELECT 1;\nSELECT 2;',
        statements(['SELECT 1', 1], ['SELECT 2', 2]),
      ],
      ['# is an operator', 'SELECT 5 # 3;\nSELECT 6;', statements(['SELECT 5 # 3', 1], ['SELECT 6', 2])],
    ])('reads comments: %s', (_rule, script, expected) => {
      expect(splitStatements(script, 'postgres')).toEqual(expected);
    });

    it.each([
      [
        "backslash as an ordinary character in '...' strings",
        "SELECT 'C:\\';\nSELECT 2;",
        statements(["SELECT 'C:\\'", 1], ['SELECT 2', 2]),
      ],
      [
        "backslash escapes in E'...' strings",
        "SELECT E'it\\'s; ok', e'\\\\';\nSELECT 2;",
        statements(["SELECT E'it\\'s; ok', e'\\\\'", 1], ['SELECT 2', 2]),
      ],
      [
        'E as the end of a word rather than a prefix',
        "SELECT 1 AS note'x';\nSELECT 2;",
        statements(["SELECT 1 AS note'x'", 1], ['SELECT 2', 2]),
      ],
      [
        'U& strings and identifiers and B, X, N strings',
        "SELECT U&'a;\\0041', U&\"b;\", B'101', X'1F', N'c;';\nSELECT 2;",
        statements(["SELECT U&'a;\\0041', U&\"b;\", B'101', X'1F', N'c;'", 1], ['SELECT 2', 2]),
      ],
      [
        'a literal continued on the next line as psql does: as a new standard string',
        "SELECT E'x\\''\n'\\';\nSELECT 2;",
        statements(["SELECT E'x\\''\n'\\'", 1], ['SELECT 2', 3]),
      ],
    ])('reads %s', (_rule, script, expected) => {
      expect(splitStatements(script, 'postgres')).toEqual(expected);
    });

    it.each([
      [
        'a DO block in $$',
        "DO $$\nBEGIN\n  UPDATE users SET email = 'x';\nEND\n$$;\nSELECT 2;",
        statements(["DO $$\nBEGIN\n  UPDATE users SET email = 'x';\nEND\n$$", 1], ['SELECT 2', 6]),
      ],
      [
        'a function body in $tag$ holding a $$ string',
        'CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN $$a;b$$; END $body$;\nSELECT f();',
        statements(
          ['CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $body$ BEGIN RETURN $$a;b$$; END $body$', 1],
          ['SELECT f()', 2],
        ),
      ],
      [
        '$1 parameters, which are not dollar quotes',
        "PREPARE mask(text, int) AS UPDATE users SET email = $1 WHERE id = $2;\nEXECUTE mask('x', 1);",
        statements(
          ['PREPARE mask(text, int) AS UPDATE users SET email = $1 WHERE id = $2', 1],
          ["EXECUTE mask('x', 1)", 2],
        ),
      ],
      [
        'identifiers containing $, which are not dollar quotes',
        'SELECT price$usd$ FROM t;\nSELECT 2;',
        statements(['SELECT price$usd$ FROM t', 1], ['SELECT 2', 2]),
      ],
    ])('reads dollar quoting: %s', (_rule, script, expected) => {
      expect(splitStatements(script, 'postgres')).toEqual(expected);
    });

    it('does not split at semicolons inside parentheses, as psql does', () => {
      const script =
        'CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2));\nSELECT 3;';

      expect(splitStatements(script, 'postgres')).toEqual(
        statements(
          ['CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))', 1],
          ['SELECT 3', 2],
        ),
      );
    });

    it('does not split inside a BEGIN ATOMIC ... END routine body, with CASE ... END in it', () => {
      const script = [
        'CREATE OR REPLACE FUNCTION masked(n int) RETURNS int LANGUAGE sql',
        'BEGIN ATOMIC',
        '  SELECT 1;',
        '  SELECT CASE WHEN n > 0 THEN n ELSE 0 END;',
        'END;',
        'CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END;',
      ].join('\n');

      expect(splitStatements(script, 'postgres')).toEqual(
        statements(
          [
            'CREATE OR REPLACE FUNCTION masked(n int) RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN n > 0 THEN n ELSE 0 END;\nEND',
            1,
          ],
          ['CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC SELECT 1; END', 6],
        ),
      );
    });

    it('splits a transaction block, whose BEGIN is not a routine body', () => {
      expect(splitStatements('BEGIN;\nUPDATE users SET email = NULL;\nCOMMIT;', 'postgres')).toEqual(
        statements(['BEGIN', 1], ['UPDATE users SET email = NULL', 2], ['COMMIT', 3]),
      );
    });

    it.each([
      ['\\connect app', /^Line 1: psql meta-command "\\connect" is not supported/],
      ['SELECT 1;\n\n\\set ON_ERROR_STOP on', /^Line 3: psql meta-command "\\set" is not supported/],
      ['SELECT 1;\nSELECT 2 \\gset', /^Line 2: psql meta-command "\\gset" is not supported/],
    ])('rejects the meta-command in %j', (script, message) => {
      expect(() => splitStatements(script, 'postgres')).toThrow(message);
    });

    it.each([
      ['SELECT 1;\nSELECT "abc;', /^Line 2: unterminated quoted identifier "\.\.\."/],
      ["SELECT E'abc\\';", /^Line 1: unterminated escape string literal E'\.\.\.'/],
      ['SELECT 1;\nDO $$ BEGIN PERFORM 1; END;', /^Line 2: unterminated dollar-quoted string \$\$\.\.\.\$\$/],
      ['SELECT $tag$ a; $tg$;', /^Line 1: unterminated dollar-quoted string \$tag\$\.\.\.\$tag\$/],
      ['/* a /* b; */ SELECT 1;', /^Line 1: unterminated block comment/],
    ])('rejects the unterminated token in %j', (script, message) => {
      expect(() => splitStatements(script, 'postgres')).toThrow(message);
    });
  });
});
