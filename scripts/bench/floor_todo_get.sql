-- Floor for GET /v1/todos/{id}: one primary-key SELECT on todos.
\set id random(:min_todo, :max_todo)
SELECT id, title, description, priority, is_completed, user_id, created_at, updated_at FROM todos WHERE id = :id;
