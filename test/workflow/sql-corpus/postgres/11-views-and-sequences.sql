CREATE SEQUENCE ticket_numbers START 100;
CREATE TABLE tickets (id INT PRIMARY KEY DEFAULT nextval('ticket_numbers'), label TEXT);
INSERT INTO tickets (label) VALUES ('a;'), ('b'), ('c');
CREATE VIEW recent AS SELECT id, label || ';' AS label FROM tickets WHERE id > 100;
CREATE MATERIALIZED VIEW counted AS SELECT count(*) AS n FROM tickets;
SELECT setval('ticket_numbers', 500);
CREATE TABLE copied AS SELECT * FROM recent;
