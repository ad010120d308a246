CREATE TABLE arithmetic (id INT, result INT);
INSERT INTO arithmetic VALUES (1, 5--1);
INSERT INTO arithmetic VALUES (2, 5 --1
);
INSERT INTO arithmetic VALUES (3, 10---2);
