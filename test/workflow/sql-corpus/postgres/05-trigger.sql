CREATE TABLE orders (id INT PRIMARY KEY, total INT NOT NULL);
CREATE TABLE audit (order_id INT, note TEXT);
CREATE FUNCTION orders_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO audit VALUES (NEW.id, CASE WHEN NEW.total > 100 THEN 'big; check it' ELSE 'small' END);
  RETURN NEW;
END;
$$;
CREATE TRIGGER orders_audit AFTER INSERT ON orders FOR EACH ROW EXECUTE FUNCTION orders_audit();
INSERT INTO orders VALUES (1, 50), (2, 500);
