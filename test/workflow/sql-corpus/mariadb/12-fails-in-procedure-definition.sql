-- Fails at statement 5: the procedure body misspells a column, which the server finds only when it is called.
CREATE TABLE progress (step INT PRIMARY KEY);
CREATE TABLE stock (id INT PRIMARY KEY, quantity INT);
DELIMITER $$
CREATE PROCEDURE restock()
BEGIN
  UPDATE stock SET quantity = quantity + 1;
  UPDATE stock SET quantitty = 0;
END$$
INSERT INTO progress VALUES (4) $$
CALL restock() $$
INSERT INTO progress VALUES (6) $$
DELIMITER ;
INSERT INTO stock VALUES (1, 1);
