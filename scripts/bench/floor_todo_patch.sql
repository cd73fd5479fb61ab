-- Floor for PATCH /v1/todos/{id}: one UPDATE ... RETURNING.
\set id random(:min_todo, :max_todo)
UPDATE todos SET title = 'pgbench patched', is_completed = NOT is_completed, updated_at = now() WHERE id = :id RETURNING id, title, description, priority, is_completed, user_id, created_at, updated_at;
