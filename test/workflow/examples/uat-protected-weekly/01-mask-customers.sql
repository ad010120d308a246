-- app1 UAT: the business tests with production-like data, never with real customers' personal data.
UPDATE customers
   SET first_name = CONCAT('First', id),
       last_name  = CONCAT('Last', id),
       email      = CONCAT('customer', id, '@example.invalid'),
       phone      = NULL,
       street     = CONCAT(id, ' Masked Street');
