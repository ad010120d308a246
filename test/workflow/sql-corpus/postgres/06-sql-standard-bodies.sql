CREATE TABLE totals (id INT PRIMARY KEY, amount INT);
CREATE FUNCTION add_one(x INT) RETURNS INT LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
  SELECT x + 1;
END;
CREATE PROCEDURE record_total(id INT, amount INT) LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO totals VALUES (id, add_one(amount));
  UPDATE totals SET amount = CASE WHEN amount > 10 THEN amount ELSE amount * 10 END WHERE totals.id = id;
END;
CALL record_total(1, 2);
CALL record_total(2, 20);
CREATE OR REPLACE FUNCTION half(x INT) RETURNS INT LANGUAGE sql RETURN x / 2;
INSERT INTO totals VALUES (3, half(9));
