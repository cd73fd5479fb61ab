//! `POST /v1/auth/register` and `POST /v1/auth/login`.

use domain::ports::Clock;
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_common_headers, assert_envelope, assert_no_secrets,
    assert_unauthorized, assert_user_response, header, id_of, invalid_fields, json_of, jwt_parts,
    public_key_pem, registration, timestamp,
};

const FORM: &str = "application/x-www-form-urlencoded";

/// Registers `body` and expects a 422 naming `field`; returns the error.
async fn assert_refused(app: &TestApp, body: &Value, field: &str) -> Value {
    let response = app.register_with(body).await;
    let error = assert_envelope(response, 422).await;
    assert!(
        invalid_fields(&error).iter().any(|f| f == field),
        "expected {field} in {error}"
    );
    error
}

fn with(name: &str, field: &str, value: Value) -> Value {
    let mut body = registration(name);
    body[field] = value;
    body
}

// --- register -------------------------------------------------------------

#[tokio::test]
async fn register_is_201_with_the_user() {
    let app = TestApp::spawn().await;
    let response = app.register_with(&registration("alice")).await;
    assert_common_headers(&response);
    let user = json_of(response, 201).await;
    assert_user_response(&user, "alice");
    assert_eq!(user["created_at"], user["updated_at"]);
    assert_eq!(timestamp(&user["created_at"]), app.clock().now());
    let keys: Vec<&String> = user.as_object().unwrap().keys().collect();
    for key in [
        "id",
        "email",
        "username",
        "full_name",
        "is_active",
        "created_at",
        "updated_at",
    ] {
        assert!(keys.iter().any(|k| *k == key), "{key} missing from {user}");
    }
}

#[tokio::test]
async fn register_never_returns_the_password_or_its_hash() {
    let app = TestApp::spawn().await;
    let response = app.register_with(&registration("alice")).await;
    let text = response.text().await.unwrap();
    assert!(!text.contains(PASSWORD), "{text}");
    assert!(
        !text.contains("hashed_password") && !text.contains("password"),
        "{text}"
    );
    assert!(!text.contains("$2"), "{text}");
    assert_no_secrets(&serde_json::from_str(&text).unwrap());
}

#[tokio::test]
async fn register_with_a_bad_email_is_422() {
    let app = TestApp::spawn().await;
    for email in [
        "not-an-email",
        "@example.com",
        "alice@",
        "alice example@example.com",
        "",
        "a@@example.com",
    ] {
        assert_refused(&app, &with("alice", "email", json!(email)), "email").await;
    }
}

#[tokio::test]
async fn register_with_a_username_shorter_than_3_is_422() {
    let app = TestApp::spawn().await;
    for username in ["", "a", "ab"] {
        assert_refused(
            &app,
            &with("alice", "username", json!(username)),
            "username",
        )
        .await;
    }
}

#[tokio::test]
async fn register_with_a_username_longer_than_100_is_422() {
    let app = TestApp::spawn().await;
    assert_refused(
        &app,
        &with("alice", "username", json!("a".repeat(101))),
        "username",
    )
    .await;
}

#[tokio::test]
async fn register_with_a_username_of_3_and_100_chars_is_201() {
    let app = TestApp::spawn().await;
    let user = json_of(
        app.register_with(&with("alice", "username", json!("a_1")))
            .await,
        201,
    )
    .await;
    assert_eq!(user["username"], "a_1");
    let long = "B".repeat(100);
    let mut body = with("bob", "username", json!(long));
    body["email"] = json!("bob@example.com");
    let user = json_of(app.register_with(&body).await, 201).await;
    assert_eq!(user["username"], long);
}

#[tokio::test]
async fn register_with_a_username_outside_letters_digits_underscore_is_422() {
    let app = TestApp::spawn().await;
    for username in [
        "al-ice", "al ice", "alice!", "al.ice", "ali@ce", "al'ice", "alice\t",
    ] {
        assert_refused(
            &app,
            &with("alice", "username", json!(username)),
            "username",
        )
        .await;
    }
}

#[tokio::test]
async fn register_with_an_empty_full_name_is_422() {
    let app = TestApp::spawn().await;
    assert_refused(&app, &with("alice", "full_name", json!("")), "full_name").await;
}

#[tokio::test]
async fn register_with_a_full_name_of_256_chars_is_422() {
    let app = TestApp::spawn().await;
    assert_refused(
        &app,
        &with("alice", "full_name", json!("x".repeat(256))),
        "full_name",
    )
    .await;
    // 255 characters (multi-byte ones) is fine.
    let name = "é".repeat(255);
    let user = json_of(
        app.register_with(&with("alice", "full_name", json!(name)))
            .await,
        201,
    )
    .await;
    assert_eq!(user["full_name"], name);
}

#[tokio::test]
async fn register_with_a_password_of_7_chars_is_422() {
    let app = TestApp::spawn().await;
    assert_refused(
        &app,
        &with("alice", "password", json!("1234567")),
        "password",
    )
    .await;
    let user = json_of(
        app.register_with(&with("alice", "password", json!("12345678")))
            .await,
        201,
    )
    .await;
    assert_eq!(user["username"], "alice");
    json_of(app.login("alice", "12345678").await, 200).await;
}

#[tokio::test]
async fn register_with_a_password_of_101_chars_is_422() {
    let app = TestApp::spawn().await;
    assert_refused(
        &app,
        &with("alice", "password", json!("p".repeat(101))),
        "password",
    )
    .await;
}

#[tokio::test]
async fn register_with_a_password_over_72_bytes_is_422_naming_72() {
    let app = TestApp::spawn().await;
    // 73 ASCII characters, and 37 two-byte characters (74 bytes): both under 100 characters.
    for password in ["p".repeat(73), "é".repeat(37), "p".repeat(100)] {
        let error = assert_refused(
            &app,
            &with("alice", "password", json!(password)),
            "password",
        )
        .await;
        let messages = error["details"]["validation_errors"].to_string();
        assert!(messages.contains("72"), "{error}");
    }
}

#[tokio::test]
async fn register_with_a_password_of_exactly_72_bytes_is_201() {
    let app = TestApp::spawn().await;
    let password = "p".repeat(72);
    json_of(
        app.register_with(&with("alice", "password", json!(password)))
            .await,
        201,
    )
    .await;
    json_of(app.login("alice", &password).await, 200).await;
}

#[tokio::test]
async fn register_with_a_missing_field_is_422_naming_it() {
    let app = TestApp::spawn().await;
    for field in ["email", "username", "full_name", "password"] {
        let mut body = registration("alice");
        body.as_object_mut().unwrap().remove(field);
        assert_refused(&app, &body, field).await;
    }
}

#[tokio::test]
async fn register_with_null_fields_is_422() {
    let app = TestApp::spawn().await;
    for field in ["email", "username", "full_name", "password"] {
        assert_refused(&app, &with("alice", field, Value::Null), field).await;
    }
}

#[tokio::test]
async fn register_reports_every_invalid_field() {
    let app = TestApp::spawn().await;
    let body = json!({"email": "nope", "username": "a", "full_name": "", "password": "short"});
    let error = assert_envelope(app.register_with(&body).await, 422).await;
    let mut fields = invalid_fields(&error);
    fields.sort();
    assert_eq!(
        fields,
        ["email", "full_name", "password", "username"],
        "{error}"
    );
    for entry in error["details"]["validation_errors"].as_array().unwrap() {
        assert!(
            entry["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{entry}"
        );
        assert!(
            entry["type"].as_str().is_some_and(|t| !t.is_empty()),
            "{entry}"
        );
    }
}

#[tokio::test]
async fn register_with_a_nul_in_any_field_is_422() {
    let app = TestApp::spawn().await;
    for field in ["email", "username", "full_name", "password"] {
        let value = match field {
            "email" => "al\u{0}ice@example.com".to_owned(),
            "password" => format!("{PASSWORD}\u{0}x"),
            _ => "a\u{0}b_name".to_owned(),
        };
        assert_refused(&app, &with("alice", field, json!(value)), field).await;
    }
    // Nothing was stored: the name is still free.
    json_of(app.register_with(&registration("alice")).await, 201).await;
}

#[tokio::test]
async fn register_with_a_duplicate_email_is_409() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let mut body = registration("bob");
    body["email"] = json!("alice@example.com");
    assert_envelope(app.register_with(&body).await, 409).await;
}

#[tokio::test]
async fn register_with_a_duplicate_username_is_409() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let mut body = registration("alice");
    body["email"] = json!("other@example.com");
    assert_envelope(app.register_with(&body).await, 409).await;
}

#[tokio::test]
async fn register_with_the_same_email_in_another_case_is_409() {
    let app = TestApp::spawn().await;
    let mut body = registration("alice");
    body["email"] = json!("a@example.com");
    json_of(app.register_with(&body).await, 201).await;
    let mut body = registration("bob");
    body["email"] = json!("A@Example.COM");
    assert_envelope(app.register_with(&body).await, 409).await;
}

#[tokio::test]
async fn register_with_the_same_username_in_another_case_is_409() {
    let app = TestApp::spawn().await;
    app.register("Alice").await;
    let mut body = registration("alice");
    body["email"] = json!("second@example.com");
    assert_envelope(app.register_with(&body).await, 409).await;
    let mut body = registration("ALICE");
    body["email"] = json!("third@example.com");
    assert_envelope(app.register_with(&body).await, 409).await;
}

#[tokio::test]
async fn register_ignores_mass_assigned_fields() {
    let app = TestApp::spawn().await;
    app.register("first").await;
    let mut body = registration("alice");
    body["is_admin"] = json!(true);
    body["is_active"] = json!(false);
    body["id"] = json!(4242);
    body["hashed_password"] = json!("$2b$04$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234");
    body["created_at"] = json!("2000-01-01T00:00:00Z");
    let user = json_of(app.register_with(&body).await, 201).await;
    assert_ne!(user["id"], 4242);
    assert_eq!(user["is_active"], true);
    assert_ne!(user["created_at"], "2000-01-01T00:00:00Z");
    if let Some(is_admin) = user.get("is_admin") {
        assert_eq!(is_admin, false);
    }
    // Active with the real password, and not an admin.
    let token = app.token_for("alice").await;
    assert_envelope(app.get("/v1/users", Some(&token)).await, 403).await;
    let created = app
        .post_json("/v1/users", &registration("mallory"), Some(&token))
        .await;
    assert_envelope(created, 403).await;
    assert_eq!(
        id_of(&json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await),
        id_of(&user)
    );
}

// --- login -----------------------------------------------------------------

#[tokio::test]
async fn login_by_username_is_200_with_a_bearer_token() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let response = app.login("alice", PASSWORD).await;
    assert_common_headers(&response);
    let cache = header(&response, "cache-control").expect("Cache-Control on the token response");
    assert!(cache.contains("no-store"), "{cache}");
    let body = json_of(response, 200).await;
    assert!(
        body["access_token"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86400);
    assert_no_secrets(&body);
}

#[tokio::test]
async fn login_by_email_is_200() {
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    let body = json_of(app.login("alice@example.com", PASSWORD).await, 200).await;
    let (_, claims) = jwt_parts(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], id_of(&user).to_string());
}

#[tokio::test]
async fn login_name_matches_case_insensitively() {
    let app = TestApp::spawn().await;
    let user = app.register("Alice").await;
    for name in [
        "Alice",
        "alice",
        "ALICE",
        "aLiCe",
        "alice@example.com",
        "ALICE@EXAMPLE.COM",
        "Alice@Example.com",
    ] {
        let body = json_of(app.login(name, PASSWORD).await, 200).await;
        let (_, claims) = jwt_parts(body["access_token"].as_str().unwrap());
        assert_eq!(claims["sub"], id_of(&user).to_string(), "{name}");
    }
}

#[tokio::test]
async fn login_token_is_an_rs256_jwt_with_sub_iat_and_exp() {
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    let token = app.token_for("alice").await;
    let (header, claims) = jwt_parts(&token);
    assert_eq!(header["alg"], "RS256", "{header}");
    assert_eq!(claims["sub"], id_of(&user).to_string(), "{claims}");
    let iat = claims["iat"].as_i64().expect("iat is a number");
    let exp = claims["exp"].as_i64().expect("exp is a number");
    // The application's clock, in whole seconds.
    assert_eq!(iat, app.clock().now().timestamp(), "{claims}");
    assert_eq!(exp, iat + 86400, "{claims}");
}

#[tokio::test]
async fn login_token_verifies_with_the_public_key() {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode};
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    let token = app.token_for("alice").await;
    let key = DecodingKey::from_rsa_pem(&public_key_pem()).unwrap();
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_required_spec_claims(&["exp", "sub"]);
    validation.validate_aud = false;
    let data =
        decode::<Value>(&token, &key, &validation).expect("the token verifies with the public key");
    assert_eq!(data.claims["sub"], id_of(&user).to_string());
    assert_eq!(data.header.alg, Algorithm::RS256);
}

#[tokio::test]
async fn login_with_the_oauth2_password_form_is_200() {
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    let form = format!(
        "grant_type=password&username=alice%40example.com&password={}",
        PASSWORD
    );
    let response = app
        .send_raw(Method::POST, "/v1/auth/login", Some(FORM), form, None)
        .await;
    let cache = header(&response, "cache-control").unwrap_or_default();
    assert!(cache.contains("no-store"), "{cache}");
    let body = json_of(response, 200).await;
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86400);
    let token = body["access_token"].as_str().unwrap();
    let me = json_of(app.get("/v1/auth/me", Some(token)).await, 200).await;
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn login_form_with_a_wrong_password_is_401() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let response = app
        .send_raw(
            Method::POST,
            "/v1/auth/login",
            Some(FORM),
            "username=alice&password=wrong-password",
            None,
        )
        .await;
    assert_unauthorized(response).await;
}

#[tokio::test]
async fn login_form_without_a_password_is_422() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let response = app
        .send_raw(
            Method::POST,
            "/v1/auth/login",
            Some(FORM),
            "username=alice",
            None,
        )
        .await;
    let error = assert_envelope(response, 422).await;
    assert_eq!(invalid_fields(&error), ["password"]);
}

#[tokio::test]
async fn login_with_wrong_password_is_401() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    assert_unauthorized(app.login("alice", "wrong-password").await).await;
}

#[tokio::test]
async fn login_with_unknown_user_is_401() {
    let app = TestApp::spawn().await;
    assert_unauthorized(app.login("nobody", PASSWORD).await).await;
}

#[tokio::test]
async fn wrong_password_and_unknown_user_answer_the_same() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let wrong = assert_unauthorized(app.login("alice", "wrong-password").await).await;
    let unknown = assert_unauthorized(app.login("nobody", "wrong-password").await).await;
    let unknown_email = assert_unauthorized(app.login("nobody@example.com", PASSWORD).await).await;
    assert_eq!(wrong["message"], unknown["message"]);
    assert_eq!(wrong["message"], unknown_email["message"]);
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn login_password_is_compared_exactly() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let upper = PASSWORD.to_uppercase();
    let spaced = format!(" {PASSWORD}");
    let trailing = format!("{PASSWORD} ");
    let shorter = &PASSWORD[..PASSWORD.len() - 1];
    for candidate in [upper.as_str(), spaced.as_str(), trailing.as_str(), shorter] {
        assert_unauthorized(app.login("alice", candidate).await).await;
    }
    json_of(app.login("alice", PASSWORD).await, 200).await;
}

#[tokio::test]
async fn passwords_sharing_their_first_72_bytes_are_not_interchangeable() {
    let app = TestApp::spawn().await;
    let password = "k".repeat(72);
    json_of(
        app.register_with(&with("alice", "password", json!(password)))
            .await,
        201,
    )
    .await;
    for extra in ["x", "xyz", &"k".repeat(20)] {
        let longer = format!("{password}{extra}");
        let response = app.login("alice", &longer).await;
        let status = response.status().as_u16();
        assert!(
            status == 401 || status == 422,
            "a longer password logged in: {status}"
        );
        assert_envelope(response, status).await;
    }
}

#[tokio::test]
async fn login_of_an_inactive_user_is_401() {
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    app.set_flags(id_of(&user), None, Some(false)).await;
    assert_unauthorized(app.login("alice", PASSWORD).await).await;
    assert_unauthorized(app.login("alice@example.com", PASSWORD).await).await;
}

#[tokio::test]
async fn login_without_a_field_is_422() {
    let app = TestApp::spawn().await;
    for (body, field) in [
        (json!({"password": PASSWORD}), "username"),
        (json!({"username": "alice"}), "password"),
        (json!({"username": null, "password": PASSWORD}), "username"),
    ] {
        let error = assert_envelope(app.post_json("/v1/auth/login", &body, None).await, 422).await;
        assert!(invalid_fields(&error).iter().any(|f| f == field), "{error}");
    }
}

#[tokio::test]
async fn login_with_a_nul_is_never_500() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    for (username, password) in [
        ("al\u{0}ice", PASSWORD),
        ("alice", "correct\u{0}horse"),
        ("\u{0}", "\u{0}"),
    ] {
        let response = app.login(username, password).await;
        let status = response.status().as_u16();
        assert!(
            status == 401 || status == 422,
            "{username:?}/{password:?} → {status}"
        );
        assert_envelope(response, status).await;
    }
}

#[tokio::test]
async fn login_with_a_wrong_content_type_is_an_envelope() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let body = json!({"username": "alice", "password": PASSWORD}).to_string();
    for content_type in [Some("text/plain"), None] {
        let response = app
            .send_raw(
                Method::POST,
                "/v1/auth/login",
                content_type,
                body.clone(),
                None,
            )
            .await;
        let status = response.status().as_u16();
        assert!(
            [400, 415, 422].contains(&status),
            "{content_type:?} → {status}"
        );
        assert_envelope(response, status).await;
    }
}

#[tokio::test]
async fn login_failure_does_not_echo_the_password() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let response = app.login("alice", "wrong-password").await;
    let text = response.text().await.unwrap();
    assert!(!text.contains("wrong-password"), "{text}");
    assert!(!text.contains("access_token"), "{text}");
}
