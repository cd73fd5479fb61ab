//! `GET /v1/auth/me` and the bearer token: every forged, broken or stale
//! token is a 401; genuine tokens carry the claims of the contract.

use std::time::Duration;

use domain::ports::Clock;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_common_headers, assert_no_secrets, assert_unauthorized,
    assert_user_response, b64url, id_of, json_of, jwt_parts, private_key_pem, public_key_pem,
};

/// A genuine token of a new user `name`: (user, token, header, claims).
async fn genuine(app: &TestApp, name: &str) -> (Value, String, Value, Value) {
    let (user, token) = app.user(name).await;
    let (header, claims) = jwt_parts(&token);
    (user, token, header, claims)
}

/// `claims` signed RS256 with `private_pem`, under a header like `like`'s
/// (`kid`, `typ`).
fn sign_like(like: &Value, claims: &Value, private_pem: &[u8]) -> String {
    sign_with(
        like,
        Algorithm::RS256,
        claims,
        &EncodingKey::from_rsa_pem(private_pem).unwrap(),
    )
}

fn sign_with(like: &Value, alg: Algorithm, claims: &Value, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = like["kid"].as_str().map(str::to_owned);
    header.typ = like["typ"].as_str().map(str::to_owned);
    encode(&header, claims, key).unwrap()
}

#[tokio::test]
async fn me_is_200_with_the_tokens_user() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("alice").await;
    app.register("bob").await;
    let response = app.get("/v1/auth/me", Some(&token)).await;
    assert_common_headers(&response);
    let me = json_of(response, 200).await;
    assert_user_response(&me, "alice");
    assert_eq!(me["id"], user["id"]);
    assert_eq!(me["created_at"], user["created_at"]);
    assert_no_secrets(&me);
}

#[tokio::test]
async fn me_without_a_token_is_401_with_a_bearer_challenge() {
    let app = TestApp::spawn().await;
    assert_unauthorized(app.get("/v1/auth/me", None).await).await;
}

#[tokio::test]
async fn me_with_a_garbage_token_is_401() {
    let app = TestApp::spawn().await;
    app.user("alice").await;
    let long = "a".repeat(10_000);
    for garbage in [
        "garbage",
        "a.b.c",
        "...",
        "eyJhbGciOiJSUzI1NiJ9.e30.",
        "null",
        long.as_str(),
    ] {
        assert_unauthorized(app.get("/v1/auth/me", Some(garbage)).await).await;
    }
}

#[tokio::test]
async fn me_with_a_non_bearer_authorization_is_401() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    for value in [
        format!("Basic {token}"),
        token.clone(),
        "Bearer".to_owned(),
        "Bearer ".to_owned(),
        format!("Token {token}"),
    ] {
        let response = app
            .request(Method::GET, "/v1/auth/me", None)
            .header(reqwest::header::AUTHORIZATION, value.clone())
            .send()
            .await
            .unwrap();
        assert_unauthorized(response).await;
    }
}

#[tokio::test]
async fn a_token_in_the_query_string_is_ignored() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let response = app
        .get(&format!("/v1/auth/me?access_token={token}"), None)
        .await;
    assert_unauthorized(response).await;
}

#[tokio::test]
async fn a_token_we_sign_ourselves_with_the_test_key_is_accepted() {
    // Control for the forgery tests below: the forging machinery itself works.
    let app = TestApp::spawn().await;
    let (user, _, header, mut claims) = genuine(&app, "alice").await;
    claims["jti"] = json!("forged-but-properly-signed");
    let token = sign_like(&header, &claims, &private_key_pem());
    let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn access_tokens_carry_the_contract_claims_and_header() {
    let app = TestApp::spawn().await;
    let (user, token, header, claims) = genuine(&app, "alice").await;
    assert_eq!(header["alg"], "RS256");
    assert_eq!(header["typ"], "at+jwt");
    assert!(
        header["kid"].as_str().is_some_and(|k| !k.is_empty()),
        "{header}"
    );
    assert_eq!(claims["iss"], "todo-api");
    let aud = &claims["aud"];
    assert!(
        aud == "todo-api"
            || aud
                .as_array()
                .is_some_and(|a| a.contains(&json!("todo-api"))),
        "{claims}"
    );
    assert_eq!(claims["sub"], id_of(&user).to_string());
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(iat, app.clock().now().timestamp(), "{claims}");
    assert_eq!(claims["nbf"].as_i64(), Some(iat));
    assert_eq!(claims["exp"].as_i64(), Some(iat + 86_400));
    assert!(
        claims["jti"].as_str().is_some_and(|j| !j.is_empty()),
        "{claims}"
    );
    assert!(
        claims["sid"].is_i64() || claims["sid"].is_string(),
        "{claims}"
    );
    // Two logins: two sessions, two token ids.
    let (_, other) = jwt_parts(&app.token_for("alice").await);
    assert_ne!(other["jti"], claims["jti"]);
    assert_ne!(other["sid"], claims["sid"]);
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
}

#[tokio::test]
async fn the_issuer_and_audience_come_from_the_settings() {
    let app = TestApp::spawn_with(&[
        ("JWT_ISSUER", "https://id.example"),
        ("JWT_AUDIENCE", "todo-web"),
    ])
    .await;
    let (_, token, _, claims) = genuine(&app, "alice").await;
    assert_eq!(claims["iss"], "https://id.example");
    let aud = &claims["aud"];
    assert!(
        aud == "todo-web"
            || aud
                .as_array()
                .is_some_and(|a| a.contains(&json!("todo-web"))),
        "{claims}"
    );
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    // The same key, another audience: a token for someone else is refused.
    let other = app.spawn_beside(&[]).await;
    assert_unauthorized(other.get("/v1/auth/me", Some(&token)).await).await;
}

#[tokio::test]
async fn a_wrong_or_missing_issuer_or_audience_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    let key = private_key_pem();
    for (claim, value) in [
        ("iss", Some(json!("someone-else"))),
        ("iss", None),
        ("iss", Some(json!(""))),
        ("aud", Some(json!("someone-else"))),
        ("aud", Some(json!(["someone-else"]))),
        ("aud", None),
    ] {
        let mut forged = claims.clone();
        match value {
            Some(v) => forged[claim] = v,
            None => {
                forged.as_object_mut().unwrap().remove(claim);
            }
        }
        let token = sign_like(&header, &forged, &key);
        assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    }
}

#[tokio::test]
async fn a_token_naming_another_session_or_none_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    let (_, bob_token, _, bob_claims) = genuine(&app, "bob").await;
    let key = private_key_pem();
    // alice's subject with bob's live session.
    let mut forged = claims.clone();
    forged["sid"] = bob_claims["sid"].clone();
    assert_unauthorized(
        app.get("/v1/auth/me", Some(&sign_like(&header, &forged, &key)))
            .await,
    )
    .await;
    // No session at all.
    let mut forged = claims.clone();
    forged.as_object_mut().unwrap().remove("sid");
    assert_unauthorized(
        app.get("/v1/auth/me", Some(&sign_like(&header, &forged, &key)))
            .await,
    )
    .await;
    json_of(app.get("/v1/auth/me", Some(&bob_token)).await, 200).await;
}

#[tokio::test]
async fn a_refresh_token_is_not_an_access_token() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (access, refresh) = app.pair_for("alice").await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&refresh)).await).await;
    assert_unauthorized(app.get("/v1/todos", Some(&refresh)).await).await;
    // Nor an access token a refresh token.
    assert_unauthorized(app.refresh(&access).await).await;
    json_of(app.get("/v1/auth/me", Some(&access)).await, 200).await;
}

#[tokio::test]
async fn a_token_with_alg_none_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, genuine_header, claims) = genuine(&app, "alice").await;
    let claims = claims.to_string();
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = json!({"alg": alg, "typ": "at+jwt", "kid": genuine_header["kid"]}).to_string();
        let unsigned = format!(
            "{}.{}.",
            b64url(header.as_bytes()),
            b64url(claims.as_bytes())
        );
        assert_unauthorized(app.get("/v1/auth/me", Some(&unsigned)).await).await;
        let with_junk = format!("{unsigned}c2lnbmF0dXJl");
        assert_unauthorized(app.get("/v1/auth/me", Some(&with_junk)).await).await;
    }
}

#[tokio::test]
async fn a_token_signed_hs256_with_the_public_key_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    let public = public_key_pem();
    let trimmed = String::from_utf8(public.clone())
        .unwrap()
        .trim()
        .to_owned()
        .into_bytes();
    for secret in [public, trimmed] {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let key = EncodingKey::from_secret(&secret).unwrap();
            let token = sign_with(&header, alg, &claims, &key);
            assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
        }
    }
}

#[tokio::test]
async fn a_token_signed_with_another_rsa_key_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    let other = auth::keys::generate_keypair(2048).unwrap();
    // Under our key's kid, and under none.
    let token = sign_like(&header, &claims, other.private_key_pem().as_bytes());
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    let token = sign_like(
        &json!({"typ": "at+jwt"}),
        &claims,
        other.private_key_pem().as_bytes(),
    );
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
}

#[tokio::test]
async fn a_token_with_a_tampered_payload_is_401() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let bob = app.register("bob").await;
    let (_, mut claims) = jwt_parts(&token);
    let parts: Vec<&str> = token.split('.').collect();
    // Become bob, keeping alice's signature.
    claims["sub"] = json!(id_of(&bob).to_string());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64url(claims.to_string().as_bytes()),
        parts[2]
    );
    assert_unauthorized(app.get("/v1/auth/me", Some(&tampered)).await).await;
    // Live longer, keeping the signature.
    let (_, mut claims) = jwt_parts(&token);
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 365 * 86400);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64url(claims.to_string().as_bytes()),
        parts[2]
    );
    assert_unauthorized(app.get("/v1/auth/me", Some(&tampered)).await).await;
    // A flipped signature character.
    let mut signature = parts[2].to_owned();
    let last = signature.pop().unwrap();
    signature.push(if last == 'A' { 'B' } else { 'A' });
    let tampered = format!("{}.{}.{}", parts[0], parts[1], signature);
    assert_unauthorized(app.get("/v1/auth/me", Some(&tampered)).await).await;
    // The original still works.
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
}

#[tokio::test]
async fn an_expired_token_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    let now = app.clock().now().timestamp();
    for (iat, exp) in [
        (now - 2 * 86400, now - 86400),
        (now - 3600, now - 60),
        (now - 60, now - 1),
    ] {
        let mut forged = claims.clone();
        forged["iat"] = json!(iat);
        forged["nbf"] = json!(iat);
        forged["exp"] = json!(exp);
        let token = sign_like(&header, &forged, &private_key_pem());
        assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    }
}

#[tokio::test]
async fn a_genuine_token_is_401_once_the_clock_passes_its_expiry() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (token, refresh) = app.pair_for("alice").await;
    let exp = jwt_parts(&token).1["exp"].as_i64().unwrap();
    // Verified (and remembered) now...
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    // ...still good in the last second of its life...
    app.clock()
        .set(chrono::DateTime::from_timestamp(exp, 999_999_000).unwrap());
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    // ...and refused the second after, from memory or not.
    app.clock().advance(Duration::from_micros(1));
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    // The token expired, not the session: it refreshes to a working pair.
    let body = json_of(app.refresh(&refresh).await, 200).await;
    let fresh = body["access_token"].as_str().unwrap();
    json_of(app.get("/v1/auth/me", Some(fresh)).await, 200).await;
}

#[tokio::test]
async fn a_token_is_401_once_its_session_expires() {
    let app = TestApp::spawn_with(&[
        ("REFRESH_TOKEN_EXPIRE_DAYS", "1"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "2880"),
    ])
    .await;
    app.register("alice").await;
    let (token, refresh) = app.pair_for("alice").await;
    // The session's last microsecond (it lives while `expires_at` > now).
    app.clock()
        .advance(Duration::from_secs(86_400) - Duration::from_micros(1));
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    // The access token has a day to live, its session none.
    app.clock().advance(Duration::from_micros(1));
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    assert_unauthorized(app.refresh(&refresh).await).await;
}

#[tokio::test]
async fn a_token_without_exp_or_not_yet_valid_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    let mut forged = claims.clone();
    forged.as_object_mut().unwrap().remove("exp");
    let token = sign_like(&header, &forged, &private_key_pem());
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    let mut forged = claims.clone();
    forged["nbf"] = json!(app.clock().now().timestamp() + 600);
    let token = sign_like(&header, &forged, &private_key_pem());
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    // Refused for its `nbf` alone: valid once the clock reaches it.
    app.clock().advance(Duration::from_secs(599));
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    app.clock().advance(Duration::from_secs(1));
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
}

#[tokio::test]
async fn a_token_for_a_user_that_never_existed_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    for sub in [
        "999999",
        "0",
        "-1",
        "abc",
        "",
        "1.0",
        "99999999999999999999",
    ] {
        let mut forged = claims.clone();
        forged["sub"] = json!(sub);
        let token = sign_like(&header, &forged, &private_key_pem());
        assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    }
}

#[tokio::test]
async fn a_deleted_users_token_is_401() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("alice").await;
    let response = app
        .delete(&format!("/v1/users/{}", id_of(&user)), Some(&token))
        .await;
    assert_eq!(response.status(), 204);
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    assert_unauthorized(app.get("/v1/todos", Some(&token)).await).await;
    assert_unauthorized(app.login("alice", PASSWORD).await).await;
}

#[tokio::test]
async fn a_deactivated_users_token_is_401() {
    let app = TestApp::spawn().await;
    let (user, token) = app.user("alice").await;
    app.set_flags(id_of(&user), None, Some(false)).await;
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    assert_unauthorized(app.get("/v1/todos", Some(&token)).await).await;
    // Reactivated, the same token works again: it is checked on every request.
    app.set_flags(id_of(&user), None, Some(true)).await;
    json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
}

#[tokio::test]
async fn tokens_of_two_users_name_each_their_own_user() {
    let app = TestApp::spawn().await;
    let (alice, alice_token) = app.user("alice").await;
    let (bob, bob_token) = app.user("bob").await;
    let me = json_of(app.get("/v1/auth/me", Some(&alice_token)).await, 200).await;
    assert_eq!(me["id"], alice["id"]);
    let me = json_of(app.get("/v1/auth/me", Some(&bob_token)).await, 200).await;
    assert_eq!(me["id"], bob["id"]);
}

#[tokio::test]
async fn a_token_signed_with_the_right_key_but_another_algorithm_is_401() {
    let app = TestApp::spawn().await;
    let (_, _, header, claims) = genuine(&app, "alice").await;
    let key = EncodingKey::from_rsa_pem(&private_key_pem()).unwrap();
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let token = sign_with(&header, alg, &claims, &key);
        assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    }
}

#[tokio::test]
async fn a_64_kib_authorization_header_is_refused_never_500() {
    let app = TestApp::spawn().await;
    let (_, token) = app.user("alice").await;
    let huge = format!("Bearer {token}{}", "A".repeat(64 * 1024));
    let response = app
        .request(Method::GET, "/v1/auth/me", None)
        .header(reqwest::header::AUTHORIZATION, huge)
        .send()
        .await
        .unwrap();
    // Under actix's 128 KiB limit for a request head: it reaches us, and
    // is refused unread.
    assert_unauthorized(response).await;
    let huge = format!("Bearer {}", "eyJ".repeat(22 * 1024));
    let response = app
        .request(Method::GET, "/v1/todos", None)
        .header(reqwest::header::AUTHORIZATION, huge)
        .send()
        .await
        .unwrap();
    assert_unauthorized(response).await;
}

#[tokio::test]
async fn a_deleted_users_token_never_passes_to_a_later_user() {
    let app = TestApp::spawn().await;
    app.register("first").await;
    let (alice, token) = app.user("alice").await;
    let response = app
        .delete(&format!("/v1/users/{}", id_of(&alice)), Some(&token))
        .await;
    assert_eq!(response.status(), 204);
    // The next user must not inherit alice's id, or alice's token would be theirs.
    let (mallory, _) = app.user("mallory").await;
    assert_ne!(mallory["id"], alice["id"], "a deleted user's id was reused");
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
}
