-- Floor for the growth section's GET /v1/todos?page=1&page_size=20: one
-- indexed page of one user's todos (todos_user_created_idx), nothing else.
SELECT id, title, description, priority, is_completed, user_id, created_at, updated_at FROM todos WHERE user_id = :uid ORDER BY created_at DESC, id DESC LIMIT 20;
