//! Request bodies are accepted only as sent: a `Content-Encoding` other than
//! `identity` is answered 415 before a byte of the body is read.
//!
//! Decoding a compressed request body is how a 2 KiB request becomes a
//! gigabyte in memory (a decompression bomb): the body limit counts what
//! arrives, not what it inflates to. No client of this API needs to compress
//! the small JSON documents it sends, so the service decodes nothing (the
//! build also leaves out actix-web's `compress-*` features, which would
//! decode before any limit applies) and says so with a 415 and
//! `Accept-Encoding: identity` (RFC 9110 §15.5.16).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap};
use actix_web::middleware::Next;

use crate::inbound::error::ApiError;

/// See the module documentation.
///
/// # Errors
/// Only those of the inner services.
pub async fn refuse_encoded_bodies(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if is_encoded(req.headers()) {
        return Ok(req
            .error_response(ApiError::UnsupportedContentEncoding)
            .map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// Whether any coding other than `identity` is named, in any of the
/// request's `Content-Encoding` fields (a field is a comma-separated list;
/// codings are case-insensitive). A value that is not visible ASCII names a
/// coding nobody can decode, so it counts as encoded too.
fn is_encoded(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::CONTENT_ENCODING)
        .any(|value| match value.to_str() {
            Ok(list) => list
                .split(',')
                .map(str::trim)
                .any(|coding| !coding.is_empty() && !coding.eq_ignore_ascii_case("identity")),
            Err(_) => true,
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use actix_web::http::header::HeaderValue;

    use super::*;

    fn with(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(
                header::CONTENT_ENCODING,
                HeaderValue::from_bytes(value).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn no_coding_or_identity_is_not_encoded() {
        for values in [
            &[][..],
            &[b"identity".as_slice()],
            &[b"IDENTITY"],
            &[b" identity , identity"],
            &[b""],
            &[b"identity", b"Identity"],
        ] {
            assert!(!is_encoded(&with(values)), "{values:?}");
        }
    }

    #[test]
    fn any_other_coding_is_encoded() {
        for values in [
            &[b"gzip".as_slice()][..],
            &[b"br"],
            &[b"zstd"],
            &[b"deflate"],
            &[b"x-gzip"],
            &[b"identity, gzip"],
            &[b"identity", b"br"],
            &[b"compress"],
            &[b"\xff"],
        ] {
            assert!(is_encoded(&with(values)), "{values:?}");
        }
    }
}
