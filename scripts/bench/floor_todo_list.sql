-- Floor for GET /v1/todos?page=1&page_size=20: the count and the page query.
\set uid random(:min_user, :max_user)
SELECT COUNT(*) FROM todos WHERE user_id = :uid;
SELECT id, title, description, priority, is_completed, user_id, created_at, updated_at FROM todos WHERE user_id = :uid ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0;
