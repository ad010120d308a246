-- Masks the personal data of the development copy before anyone can reach it under the target's name.
-- Runs unchanged on MariaDB/MySQL and PostgreSQL (CONCAT exists in both).
UPDATE customers
   SET first_name = CONCAT('First', id),
       last_name  = CONCAT('Last', id),
       email      = CONCAT('customer', id, '@example.invalid'),
       phone      = CONCAT('+00 ', id),
       street     = CONCAT(id, ' Masked Street');

-- Orders keep their amounts and dates: they are not personal data.
