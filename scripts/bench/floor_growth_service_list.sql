-- Not a floor: the statement GET /v1/todos?page=1&page_size=20 runs, as
-- infra-sea builds it (the total from the user's counter, the session check
-- as an EXISTS, LIMIT and OFFSET bound as parameters like every value), for
-- the growth section's diagnosis. :sid is a live session of :uid.
SELECT "todos"."id", "todos"."title", "todos"."description", "todos"."priority", "todos"."is_completed", "todos"."user_id", "todos"."created_at", "todos"."updated_at", COALESCE((SELECT "total" FROM "todo_counts" WHERE "todo_counts"."user_id" = :uid), 0) AS "total" FROM "todos" WHERE "todos"."user_id" = :uid AND EXISTS(SELECT 1 FROM "sessions" INNER JOIN "users" ON "users"."id" = "sessions"."user_id" WHERE "sessions"."id" = :sid AND "sessions"."user_id" = :uid AND "users"."is_active" = TRUE AND ("sessions"."revoked_at" IS NULL AND "sessions"."expires_at" > now())) ORDER BY "todos"."created_at" DESC, "todos"."id" DESC LIMIT :lim OFFSET :off;
