-- Floor for GET /v1/auth/me: one primary-key SELECT on users.
\set uid random(:min_user, :max_user)
SELECT id, email, username, full_name, hashed_password, is_active, is_admin, created_at, updated_at FROM users WHERE id = :uid;
