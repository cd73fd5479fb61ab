//! The response of a list endpoint: the page as JSON and, when there is a
//! next page, a `Link: <…>; rel="next"` header (RFC 8288) to it.

use actix_web::HttpResponse;
use actix_web::http::header::LINK;
use serde::Serialize;

/// `200` with `body`, plus the `Link` to the next page when `next_cursor`
/// is `Some`: `path?cursor=…&page_size=…` followed by the list's filters
/// (`filters`, already in query-string form), so that following the link
/// repeats the query. The cursor is URL-safe base64 and the filters are
/// our own canonical values, so nothing needs escaping.
pub(super) fn list_response(
    body: &impl Serialize,
    path: &str,
    next_cursor: Option<&str>,
    page_size: u64,
    filters: &[(&str, &str)],
) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    if let Some(cursor) = next_cursor {
        let mut target = format!("{path}?cursor={cursor}&page_size={page_size}");
        for (name, value) in filters {
            target.push('&');
            target.push_str(name);
            target.push('=');
            target.push_str(value);
        }
        response.insert_header((LINK, format!("<{target}>; rel=\"next\"")));
    }
    response.json(body)
}
