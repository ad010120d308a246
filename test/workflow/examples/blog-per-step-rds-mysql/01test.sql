-- The blog's second script: development never sees production's e-mail addresses.
UPDATE customers SET email = CONCAT('customer', id, '@example.invalid');
