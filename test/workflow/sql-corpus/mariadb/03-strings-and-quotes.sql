CREATE TABLE `odd;table` (id INT PRIMARY KEY, `semi;colon` VARCHAR(100), `back``tick` VARCHAR(100));
INSERT INTO `odd;table` VALUES (1, 'a;b', 'it''s');
INSERT INTO `odd;table` VALUES (2, "double;quoted", "say ""hi"";");
INSERT INTO `odd;table` VALUES (3, 'backslash \' quote; still inside', 'tab\tand newline\n');
INSERT INTO `odd;table` VALUES (4, '-- not a comment;', '/* not a comment; */');
INSERT INTO `odd;table` VALUES (5, '# not a comment;', 'DELIMITER //');
INSERT INTO `odd;table` VALUES (6, 'multi
line; string', 'ends here');
INSERT INTO `odd;table` VALUES (7, 'ends with backslash \\', 'x');
