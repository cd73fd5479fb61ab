//! The request id: echoed from the client when well-formed, else a new UUID.
//! It is kept in a task-local for the duration of the request so that every
//! error response, wherever it is built, can name it.

use std::future::Future;

use actix_web::http::header::HeaderValue;

pub const HEADER: &str = "x-request-id";

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The client's id if it is 1..=128 characters of `[A-Za-z0-9._-]`, else a
/// fresh UUID.
#[must_use]
pub fn from_header(value: Option<&HeaderValue>) -> String {
    value
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid(v))
        .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_owned)
}

fn is_valid(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Runs `future` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, future: F) -> F::Output {
    REQUEST_ID.scope(id, future).await
}

/// The current request's id; a fresh UUID outside a request.
#[must_use]
pub fn current() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids_are_echoed_and_others_replaced() {
        let ok = HeaderValue::from_static("abc-123_X.y");
        assert_eq!(from_header(Some(&ok)), "abc-123_X.y");
        for bad in ["", "has space", "semi;colon", "ünï"] {
            let value = HeaderValue::from_str(bad).unwrap_or(HeaderValue::from_static("bad value"));
            let id = from_header(Some(&value));
            assert_ne!(id, bad);
            assert!(uuid::Uuid::parse_str(&id).is_ok());
        }
        let long = "a".repeat(129);
        assert_eq!(
            from_header(Some(&HeaderValue::from_str(&long).unwrap())).len(),
            36
        );
        assert_eq!(
            from_header(Some(&HeaderValue::from_str(&"a".repeat(128)).unwrap())).len(),
            128
        );
    }
}
