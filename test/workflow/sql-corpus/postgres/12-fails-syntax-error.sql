-- Fails at statement 4: a misspelt keyword.
CREATE TABLE progress (step INT PRIMARY KEY);
CREATE TABLE things (id INT);
INSERT INTO progress VALUES (3);
INSRT INTO things VALUES (1);
INSERT INTO progress VALUES (5);
