-- Floor for POST /v1/todos: one INSERT ... RETURNING.
\set uid random(:min_user, :max_user)
INSERT INTO todos (title, description, priority, is_completed, user_id, created_at, updated_at) VALUES ('pgbench todo', 'made by pgbench', 'high', FALSE, :uid, now(), now()) RETURNING id, title, description, priority, is_completed, user_id, created_at, updated_at;
