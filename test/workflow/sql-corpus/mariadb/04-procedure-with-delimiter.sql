CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL);
INSERT INTO accounts VALUES (1, 100), (2, 50);

DELIMITER $$
CREATE PROCEDURE move_money(IN source INT, IN target INT, IN amount INT)
BEGIN
  UPDATE accounts SET balance = balance - amount WHERE id = source;
  UPDATE accounts SET balance = balance + amount WHERE id = target;
END$$
DELIMITER ;

CALL move_money(1, 2, 30);
CALL move_money(2, 1, 5);
