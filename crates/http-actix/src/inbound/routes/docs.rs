//! The API's documentation: the OpenAPI document at `GET /openapi.json`
//! (always), and when `DEBUG=true` Swagger UI at `/docs` and ReDoc at
//! `/redoc`. Otherwise those two are unknown routes (404 in the envelope).
//!
//! Both viewers' files are compiled into the binary, so they work without
//! internet access: Swagger UI's through utoipa-swagger-ui's `vendored`
//! feature, ReDoc's standalone bundle from `assets/redoc/` (the npm package
//! `redoc`, version in [`REDOC_VERSION`]; see `assets/redoc/README.md`).
//! ReDoc's page is ours: no web fonts, no CDN, and a Content-Security-Policy
//! that lets it load nothing from anywhere else. Swagger UI's page
//! refers to its assets by relative URLs (`./swagger-ui.css`), which resolve
//! under `/docs/` only when the address ends with a slash; but the app trims
//! trailing slashes before routing (`NormalizePath::trim`), so a redirect from
//! `/docs` to `/docs/` would loop. Instead the page is served at `/docs`
//! itself with a `<base href="/docs/">`, which makes its relative URLs
//! resolve under `/docs/` whatever the address bar shows (`/docs`, `/docs/`,
//! `/docs/index.html`).

use std::sync::Arc;

use actix_web::http::header::{self, CacheControl, CacheDirective, ContentType};
use actix_web::{HttpResponse, web};
use utoipa_swagger_ui::Config;

use crate::inbound::error::ApiError;

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Where Swagger UI is served (with `DEBUG=true`).
pub const SWAGGER_UI_PATH: &str = "/docs";
/// Where ReDoc is served (with `DEBUG=true`).
pub const REDOC_PATH: &str = "/redoc";
/// The version of the ReDoc bundle compiled in.
pub const REDOC_VERSION: &str = "2.5.4";
/// Where ReDoc's script is served; the version in the path lets it be cached
/// for good.
const REDOC_SCRIPT_PATH: &str = "/redoc/redoc-2.5.4.standalone.js";
const REDOC_SCRIPT: &[u8] = include_bytes!("../../../assets/redoc/redoc.standalone.js");
/// ReDoc renders with inline styles and runs its search in a `blob:` worker;
/// everything else must come from this origin.
const REDOC_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The serialized OpenAPI document, made once at start-up.
#[derive(Clone)]
pub struct ApiDocs {
    json: web::Bytes,
    viewers: bool,
}

impl ApiDocs {
    /// `json` is the document; `viewers` turns Swagger UI and ReDoc on.
    #[must_use]
    pub fn new(json: String, viewers: bool) -> Self {
        Self {
            json: web::Bytes::from(json),
            viewers,
        }
    }
}

/// Registers `/openapi.json`, and `/docs` and `/redoc` if the viewers are on.
pub fn configure(cfg: &mut web::ServiceConfig, docs: &ApiDocs) {
    let json = docs.json.clone();
    cfg.service(
        web::resource(OPENAPI_PATH).route(web::get().to(move || openapi_json(json.clone()))),
    );
    if !docs.viewers {
        return;
    }
    let config = web::Data::new(swagger_config());
    cfg.service(
        web::resource(SWAGGER_UI_PATH)
            .app_data(config.clone())
            .route(web::get().to(swagger_index)),
    )
    .service(
        web::resource(format!("{SWAGGER_UI_PATH}/{{file:.*}}"))
            .app_data(config)
            .route(web::get().to(swagger_file)),
    )
    .service(web::resource(REDOC_PATH).route(web::get().to(redoc_page)))
    .service(web::resource(REDOC_SCRIPT_PATH).route(web::get().to(redoc_script)));
}

async fn redoc_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, REDOC_CSP))
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .body(redoc_html())
}

async fn redoc_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(365 * 24 * 3600),
            CacheDirective::Extension("immutable".to_owned(), None),
        ]))
        .body(REDOC_SCRIPT)
}

/// ReDoc's page: the document's address and the script, nothing else.
fn redoc_html() -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  \
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n  \
         <title>API reference</title>\n</head>\n<body>\n  \
         <redoc spec-url=\"{OPENAPI_PATH}\" hide-loading></redoc>\n  \
         <script src=\"{REDOC_SCRIPT_PATH}\"></script>\n</body>\n</html>\n"
    )
}

async fn openapi_json(json: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        .body(json)
}

/// Swagger UI's settings: our document, "Try it out" on, the token kept
/// across reloads, and no call to the public validator (offline use).
fn swagger_config() -> Arc<Config<'static>> {
    Arc::new(
        Config::new([OPENAPI_PATH])
            .try_it_out_enabled(true)
            .persist_authorization(true)
            .display_request_duration(true)
            .validator_url("none"),
    )
}

async fn swagger_index(config: web::Data<Arc<Config<'static>>>) -> Result<HttpResponse, ApiError> {
    swagger(config.get_ref().clone(), "index.html")
}

async fn swagger_file(
    config: web::Data<Arc<Config<'static>>>,
    file: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    swagger(config.get_ref().clone(), &file)
}

fn swagger(config: Arc<Config<'static>>, file: &str) -> Result<HttpResponse, ApiError> {
    let asset = utoipa_swagger_ui::serve(file, config)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("serving Swagger UI's {file}: {e}")))?
        .ok_or(ApiError::NotFound("Not found"))?;
    let mut response = HttpResponse::Ok();
    response.content_type(asset.content_type);
    if file == "index.html" {
        let page = String::from_utf8_lossy(&asset.bytes);
        return Ok(response.body(with_base(&page)));
    }
    Ok(response.body(asset.bytes.into_owned()))
}

/// The page with `<base href="/docs/">` as the first element of its head.
fn with_base(page: &str) -> String {
    page.replacen(
        "<head>",
        &format!("<head>\n    <base href=\"{SWAGGER_UI_PATH}/\">"),
        1,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_swagger_page_gets_a_base_under_docs() {
        let asset = utoipa_swagger_ui::serve("index.html", swagger_config())
            .unwrap()
            .unwrap();
        let page = with_base(&String::from_utf8_lossy(&asset.bytes));
        let head = page.find("<head>").unwrap();
        let base = page.find("<base href=\"/docs/\">").unwrap();
        let first_link = page.find("<link").unwrap();
        assert!(head < base && base < first_link, "{page}");
    }

    #[test]
    fn the_redoc_script_path_names_the_bundled_version() {
        assert!(REDOC_SCRIPT_PATH.contains(REDOC_VERSION));
        let bundle = String::from_utf8_lossy(REDOC_SCRIPT);
        assert!(bundle.contains(&format!("\"{REDOC_VERSION}\"")));
    }

    #[test]
    fn the_initializer_points_at_our_document_and_no_validator() {
        let asset = utoipa_swagger_ui::serve("swagger-initializer.js", swagger_config())
            .unwrap()
            .unwrap();
        let script = String::from_utf8_lossy(&asset.bytes);
        assert!(script.contains("\"url\": \"/openapi.json\""), "{script}");
        assert!(script.contains("\"validatorUrl\": \"none\""), "{script}");
    }
}
