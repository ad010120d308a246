-- Not a script of the refresh file: the crm tables the workflow test adds beside the sample customers and
-- orders, on crm-prod (with production data) and on crm-dev (so the old copy has the same shape).
CREATE TABLE contacts (
  id INT PRIMARY KEY,
  customer_id INT NOT NULL,
  email VARCHAR(120) NOT NULL,
  phone VARCHAR(30)
);
INSERT INTO contacts (id, customer_id, email, phone)
SELECT id, id, email, CASE WHEN id % 10 = 0 THEN NULL ELSE phone END FROM customers;
CREATE TABLE payment_cards (
  id INT PRIMARY KEY,
  customer_id INT NOT NULL,
  card_number CHAR(16) NOT NULL,
  expires CHAR(5) NOT NULL
);
INSERT INTO payment_cards (id, customer_id, card_number, expires)
SELECT id, id, LPAD(id * 7919, 16, '4'), '12/29' FROM customers WHERE id % 3 = 0;
CREATE TABLE audit_log (
  id INT PRIMARY KEY AUTO_INCREMENT,
  actor VARCHAR(60) NOT NULL,
  action VARCHAR(200) NOT NULL
);
INSERT INTO audit_log (actor, action) SELECT email, CONCAT('viewed order ', id) FROM customers;
CREATE TABLE app_users (
  login VARCHAR(60) PRIMARY KEY,
  role VARCHAR(20) NOT NULL
);
INSERT INTO app_users (login, role) VALUES ('alice.ops', 'admin'), ('bob.sales', 'sales');
