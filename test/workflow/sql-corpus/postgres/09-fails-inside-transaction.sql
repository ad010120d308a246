-- Fails at statement 6: the open transaction rolls back with the session, taking statement 5 with it.
CREATE TABLE progress (step INT PRIMARY KEY);
CREATE TABLE items (id INT PRIMARY KEY, price INT CHECK (price >= 0));
INSERT INTO progress VALUES (3);
BEGIN;
INSERT INTO items VALUES (1, 10);
INSERT INTO items VALUES (2, -1);
INSERT INTO progress VALUES (7);
COMMIT;
