-- Plain DDL and DML, one statement per line and several on one line.
CREATE TABLE customers (id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(50) NOT NULL, email VARCHAR(80), credit DECIMAL(8,2) DEFAULT 0);
INSERT INTO customers (name, email, credit) VALUES ('Ann', 'ann@example.com', 10.50), ('Bob', 'bob@example.com', 3);
INSERT INTO customers (name, email) VALUES ('Cy', NULL); UPDATE customers SET credit = credit * 2 WHERE name <> 'Cy';
CREATE INDEX customers_email ON customers (email);
DELETE FROM customers WHERE email IS NULL;
ALTER TABLE customers ADD COLUMN masked BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE customers SET email = CONCAT('user', id, '@example.invalid'), masked = TRUE;
