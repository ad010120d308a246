CREATE TABLE people (id INT PRIMARY KEY, email VARCHAR(100));
INSERT INTO people VALUES (1, 'ann@corp.example'), (2, 'bob@corp.example');
DELIMITER ;;
CREATE FUNCTION mask_email(email VARCHAR(100)) RETURNS VARCHAR(100) DETERMINISTIC
BEGIN
  DECLARE at_sign INT DEFAULT LOCATE('@', email);
  RETURN CONCAT(REPEAT('*', at_sign - 1), ';', SUBSTRING(email, at_sign));
END;;
DELIMITER ;
UPDATE people SET email = mask_email(email);
