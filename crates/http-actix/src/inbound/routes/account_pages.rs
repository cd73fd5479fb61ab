//! The pages a mailed link opens in a browser: `GET /account/reset` (a form
//! for the new password that posts to `POST /v1/auth/password/reset` and
//! shows the outcome) and `GET /account/verify` (a button that posts to
//! `POST /v1/auth/verify-email`: a mail scanner that opens the link does not
//! use the token up). Plain HTML, one script and one style sheet of our
//! own per page plus the one they share (`account.js`), all compiled in
//! from `assets/account/`, nothing from anywhere else.
//!
//! The token arrives in the query string. The page is static: the script
//! reads the token from the address, at once takes it out of the address
//! bar and the history, and sends it only to this origin. The request log
//! records paths without query strings, so the token is in no log line.
//! Every response here carries `Referrer-Policy: no-referrer`, `no-store`
//! and a Content-Security-Policy that allows this origin's script, style
//! and API only.

use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::{HttpResponse, web};

/// The password-reset page (the default `PASSWORD_RESET_URL`).
pub const RESET_PAGE_PATH: &str = "/account/reset";
/// The verification page (the default `EMAIL_VERIFY_URL`).
pub const VERIFY_PAGE_PATH: &str = "/account/verify";
const ASSETS: &str = "/account/assets";

const RESET_HTML: &str = include_str!("../../../assets/account/reset.html");
const RESET_JS: &str = include_str!("../../../assets/account/reset.js");
const VERIFY_HTML: &str = include_str!("../../../assets/account/verify.html");
const VERIFY_JS: &str = include_str!("../../../assets/account/verify.js");
const ACCOUNT_JS: &str = include_str!("../../../assets/account/account.js");
const ACCOUNT_CSS: &str = include_str!("../../../assets/account/account.css");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
    img-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Registers the pages and their two assets.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(RESET_PAGE_PATH)
            .route(web::get().to(|| asset("text/html; charset=utf-8", RESET_HTML))),
    )
    .service(
        web::resource(VERIFY_PAGE_PATH)
            .route(web::get().to(|| asset("text/html; charset=utf-8", VERIFY_HTML))),
    )
    .service(
        web::resource(format!("{ASSETS}/account.js"))
            .route(web::get().to(|| asset("text/javascript; charset=utf-8", ACCOUNT_JS))),
    )
    .service(
        web::resource(format!("{ASSETS}/reset.js"))
            .route(web::get().to(|| asset("text/javascript; charset=utf-8", RESET_JS))),
    )
    .service(
        web::resource(format!("{ASSETS}/verify.js"))
            .route(web::get().to(|| asset("text/javascript; charset=utf-8", VERIFY_JS))),
    )
    .service(
        web::resource(format!("{ASSETS}/account.css"))
            .route(web::get().to(|| asset("text/css; charset=utf-8", ACCOUNT_CSS))),
    );
}

async fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pages_load_only_their_own_assets() {
        for (page, script) in [(RESET_HTML, "reset.js"), (VERIFY_HTML, "verify.js")] {
            for asset in ["account.js", script] {
                let tag = format!("<script src=\"/account/assets/{asset}\"></script>");
                assert!(page.contains(&tag), "{asset}");
            }
            assert!(page.contains("href=\"/account/assets/account.css\""));
            assert!(!page.contains("http://") && !page.contains("https://"));
        }
        assert!(RESET_JS.contains("\"/v1/auth/password/reset\""));
        assert!(VERIFY_JS.contains("\"/v1/auth/verify-email\""));
        for script in [RESET_JS, VERIFY_JS] {
            assert!(script.contains("page.takeToken()"));
        }
        assert!(
            ACCOUNT_JS.contains("replaceState"),
            "the token leaves the address bar"
        );
    }
}
