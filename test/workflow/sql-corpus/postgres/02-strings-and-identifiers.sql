CREATE TABLE "odd;table" (id INT PRIMARY KEY, "semi;colon" TEXT, "say ""hi""" TEXT);
INSERT INTO "odd;table" VALUES (1, 'a;b', 'it''s');
INSERT INTO "odd;table" VALUES (2, E'escaped \' quote; inside', E'tab\tnewline\n');
INSERT INTO "odd;table" VALUES (3, '-- not a comment;', '/* not a comment; */');
INSERT INTO "odd;table" VALUES (4, 'multi
line; string', U&'\0041;unicode');
INSERT INTO "odd;table" VALUES (5, 'backslash \', 'standard strings keep \ as is;');
INSERT INTO "odd;table" VALUES (6, 'a'
  'b;'
  'c', $$dollar; 'quoted'$$);
