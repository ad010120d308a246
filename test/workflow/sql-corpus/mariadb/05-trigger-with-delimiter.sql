CREATE TABLE orders (id INT PRIMARY KEY, total INT NOT NULL);
CREATE TABLE audit (order_id INT, note VARCHAR(100));

DELIMITER //
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW
BEGIN
  IF NEW.total > 100 THEN
    INSERT INTO audit VALUES (NEW.id, 'big order; check it');
  ELSE
    INSERT INTO audit VALUES (NEW.id, 'small');
  END IF;
END //
DELIMITER ;

INSERT INTO orders VALUES (1, 50), (2, 500);
INSERT INTO orders VALUES (3, 101);
