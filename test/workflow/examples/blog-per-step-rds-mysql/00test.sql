-- The blog's first post-refresh script: leave a mark that the refresh ran its scripts.
CREATE TABLE refresh_marker (
  id INT PRIMARY KEY,
  note VARCHAR(100) NOT NULL
);
INSERT INTO refresh_marker (id, note) VALUES (1, 'refreshed by dbrefresh');
