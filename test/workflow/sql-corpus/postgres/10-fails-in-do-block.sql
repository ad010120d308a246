-- Fails at statement 4: the DO block raises an exception after its first insert.
CREATE TABLE progress (step INT PRIMARY KEY);
CREATE TABLE steps (n INT);
INSERT INTO progress VALUES (3);
DO $$
BEGIN
  INSERT INTO steps VALUES (1);
  RAISE EXCEPTION 'stop here; %', 'on purpose';
END
$$;
INSERT INTO progress VALUES (5);
