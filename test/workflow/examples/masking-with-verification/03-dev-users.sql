-- The developers log in to crm development; production's users do not.
DELETE FROM app_users;
INSERT INTO app_users (login, role) VALUES
  ('dev.one', 'admin'),
  ('dev.two', 'admin');
