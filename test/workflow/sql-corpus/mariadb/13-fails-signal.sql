-- Fails at statement 6: the trigger rejects a negative price.
CREATE TABLE progress (step INT PRIMARY KEY);
CREATE TABLE prices (id INT PRIMARY KEY, price INT);
DELIMITER //
CREATE TRIGGER prices_check BEFORE INSERT ON prices FOR EACH ROW
BEGIN
  IF NEW.price < 0 THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'negative price; rejected';
  END IF;
END//
DELIMITER ;
INSERT INTO prices VALUES (1, 10);
INSERT INTO progress VALUES (5);
INSERT INTO prices VALUES (2, -1);
INSERT INTO progress VALUES (7);
