-- Fails at statement 5: the second row with id 1.
CREATE TABLE progress (step INT PRIMARY KEY);
CREATE TABLE users (id INT PRIMARY KEY, name TEXT);
INSERT INTO users VALUES (1, 'first; row');
INSERT INTO progress VALUES (4);
INSERT INTO users VALUES (1, 'duplicate');
INSERT INTO progress VALUES (6);
INSERT INTO users VALUES (2, 'never');
