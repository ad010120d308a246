CREATE TABLE counters (n INT);
DO $$
BEGIN
  FOR i IN 1..5 LOOP
    INSERT INTO counters VALUES (i); -- one row; per loop
  END LOOP;
END
$$;
DO $do$
DECLARE
  total INT;
BEGIN
  SELECT sum(n) INTO total FROM counters;
  EXECUTE format('INSERT INTO counters VALUES (%s)', total);
  PERFORM 1; /* semicolon; in a comment */
END
$do$ LANGUAGE plpgsql;
