-- crm development: no real e-mail address, phone number or card reaches the copy.
UPDATE contacts
   SET email = CONCAT('contact', id, '@example.invalid'),
       phone = CASE WHEN phone IS NULL THEN NULL ELSE CONCAT('+00 ', LPAD(id, 9, '0')) END;

/* Card data is never copied out of production, masked or not. */
DELETE FROM payment_cards;
