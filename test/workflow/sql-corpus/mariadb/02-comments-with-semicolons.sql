# A hash comment; with a semicolon
-- A dash comment; with a semicolon
/* A block comment; spanning
   two lines; with semicolons */
CREATE TABLE notes (id INT PRIMARY KEY, body TEXT); -- trailing comment; here
INSERT INTO notes VALUES (1, 'one') /* inline; comment */ , (2, 'two');
INSERT INTO notes # hash comment in the middle; of a statement
  VALUES (3, 'three');
INSERT INTO notes -- dash comment in the middle; of a statement
  VALUES (4, 'four');
/* comment before */ UPDATE notes SET body = UPPER(body) WHERE id > 2; /* comment after; */
# the end;
