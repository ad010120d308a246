-- A dash comment; with a semicolon
/* A block comment; /* nested; */ still a comment; */
CREATE TABLE customers (id SERIAL PRIMARY KEY, name TEXT NOT NULL, email TEXT, credit NUMERIC(8,2) DEFAULT 0); -- trailing; comment
INSERT INTO customers (name, email, credit) VALUES ('Ann', 'ann@example.com', 10.5), ('Bob', NULL, 3);
INSERT INTO customers (name) -- comment in the middle; of a statement
  VALUES ('Cy'); UPDATE customers SET credit = credit * 2 WHERE email IS NOT NULL;
CREATE INDEX customers_email ON customers (email);
DELETE FROM customers WHERE name = 'Bob';
