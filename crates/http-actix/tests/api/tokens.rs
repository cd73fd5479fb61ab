//! `GET /v1/auth/me` and the bearer token: every forged, broken or stale
//! token is a 401.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, assert_common_headers, assert_no_secrets, assert_unauthorized,
    assert_user_response, b64url, id_of, json_of, jwt_parts, now_seconds, private_key_pem,
    public_key_pem,
};

/// Claims like the application's own for `sub`, valid for an hour from now.
fn claims_for(sub: &str) -> Value {
    let now = now_seconds();
    json!({"sub": sub, "iat": now, "nbf": now, "exp": now + 3600})
}

fn sign_rs256(claims: &Value, private_pem: &[u8]) -> String {
    encode(
        &Header::new(Algorithm::RS256),
        claims,
        &EncodingKey::from_rsa_pem(private_pem).unwrap(),
    )
    .unwrap()
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
    let user = app.register("alice").await;
    let token = sign_rs256(&claims_for(&id_of(&user).to_string()), &private_key_pem());
    let me = json_of(app.get("/v1/auth/me", Some(&token)).await, 200).await;
    assert_eq!(me["id"], user["id"]);
}

#[tokio::test]
async fn a_token_with_alg_none_is_401() {
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    let claims = claims_for(&id_of(&user).to_string()).to_string();
    for alg in ["none", "None", "NONE"] {
        let header = json!({"alg": alg, "typ": "JWT"}).to_string();
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
    let user = app.register("alice").await;
    let claims = claims_for(&id_of(&user).to_string());
    let public = public_key_pem();
    let trimmed = String::from_utf8(public.clone())
        .unwrap()
        .trim()
        .to_owned()
        .into_bytes();
    for secret in [public, trimmed] {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let token = encode(
                &Header::new(alg),
                &claims,
                &EncodingKey::from_secret(&secret),
            )
            .unwrap();
            assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
        }
    }
}

#[tokio::test]
async fn a_token_signed_with_another_rsa_key_is_401() {
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    let other = auth::keys::generate_keypair(2048).unwrap();
    let token = sign_rs256(
        &claims_for(&id_of(&user).to_string()),
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
    let user = app.register("alice").await;
    let now = now_seconds();
    let sub = id_of(&user).to_string();
    for (iat, exp) in [(now - 2 * 86400, now - 86400), (now - 3600, now - 60)] {
        let claims = json!({"sub": sub, "iat": iat, "nbf": iat, "exp": exp});
        let token = sign_rs256(&claims, &private_key_pem());
        assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    }
}

#[tokio::test]
async fn a_token_without_exp_is_401() {
    let app = TestApp::spawn().await;
    let user = app.register("alice").await;
    let claims = json!({"sub": id_of(&user).to_string(), "iat": now_seconds()});
    let token = sign_rs256(&claims, &private_key_pem());
    assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
}

#[tokio::test]
async fn a_token_for_a_user_that_never_existed_is_401() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    for sub in [
        "999999",
        "0",
        "-1",
        "abc",
        "",
        "1.0",
        "99999999999999999999",
    ] {
        let token = sign_rs256(&claims_for(sub), &private_key_pem());
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
    let user = app.register("alice").await;
    let claims = claims_for(&id_of(&user).to_string());
    let key = EncodingKey::from_rsa_pem(&private_key_pem()).unwrap();
    for alg in [Algorithm::RS384, Algorithm::RS512, Algorithm::PS256] {
        let token = encode(&Header::new(alg), &claims, &key).unwrap();
        assert_unauthorized(app.get("/v1/auth/me", Some(&token)).await).await;
    }
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
