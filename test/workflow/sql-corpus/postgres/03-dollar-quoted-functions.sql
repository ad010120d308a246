CREATE TABLE people (id INT PRIMARY KEY, email TEXT);
INSERT INTO people VALUES (1, 'ann@corp.example'), (2, 'bob@corp.example');
CREATE FUNCTION mask_email(email TEXT) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  at_sign INT := position('@' IN email);
BEGIN
  -- a comment; inside the body
  RETURN repeat('*', at_sign - 1) || ';' || substr(email, at_sign);
END;
$$;
CREATE FUNCTION shout(value TEXT) RETURNS TEXT LANGUAGE sql AS $body$ SELECT upper(value) || '$$;' $body$;
UPDATE people SET email = shout(mask_email(email));
