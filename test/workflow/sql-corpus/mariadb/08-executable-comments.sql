/*!40101 SET @saved_cs_client = @@character_set_client */;
/*!40101 SET character_set_client = utf8mb4 */;
CREATE TABLE dumped (id INT NOT NULL, name VARCHAR(10), PRIMARY KEY (id)) ENGINE=InnoDB /*!40101 DEFAULT CHARSET=utf8mb4 */;
/*!40000 ALTER TABLE dumped DISABLE KEYS */;
INSERT INTO dumped VALUES (1, 'x;y'), (2, 'z');
/*!40000 ALTER TABLE dumped ENABLE KEYS */;
/*M!100100 INSERT INTO dumped VALUES (3, 'mariadb') */;
/*!40101 SET character_set_client = @saved_cs_client */;
