CREATE TABLE crlf (id INT, txt VARCHAR(40));
INSERT INTO crlf VALUES (1, 'line;
break');
DELIMITER $$
CREATE PROCEDURE add_row() BEGIN INSERT INTO crlf VALUES (2, 'from;proc'); END$$
DELIMITER ;
CALL add_row();
