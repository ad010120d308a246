CREATE TABLE items (id INT PRIMARY KEY, price INT, label VARCHAR(20));
INSERT INTO items VALUES (1, 5, 'a;'), (2, 15, 'b'), (3, 25, 'c');
CREATE VIEW expensive AS SELECT id, price FROM items WHERE price > 10;
CREATE OR REPLACE VIEW labelled AS SELECT id, CONCAT(label, ';') AS label FROM items;
CREATE TABLE copied AS SELECT * FROM expensive;
