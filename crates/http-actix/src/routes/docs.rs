//! The API's documentation: the OpenAPI document at `GET /openapi.json`
//! (always), and when `DEBUG=true` Swagger UI at `/docs` and ReDoc at
//! `/redoc`. Otherwise those two are unknown routes (404 in the envelope).
//!
//! Swagger UI's files are compiled into the binary (utoipa-swagger-ui's
//! `vendored` feature), so `/docs` works without internet access. Its page
//! refers to its assets by relative URLs (`./swagger-ui.css`), which resolve
//! under `/docs/` only when the address ends with a slash; but the app trims
//! trailing slashes before routing (`NormalizePath::trim`), so a redirect from
//! `/docs` to `/docs/` would loop. Instead the page is served at `/docs`
//! itself with a `<base href="/docs/">`, which makes its relative URLs
//! resolve under `/docs/` whatever the address bar shows (`/docs`, `/docs/`,
//! `/docs/index.html`).

use std::sync::Arc;

use actix_web::http::header::{CacheControl, CacheDirective, ContentType};
use actix_web::{HttpResponse, web};
use utoipa_redoc::{Redoc, Servable};
use utoipa_swagger_ui::Config;

use crate::error::ApiError;

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Where Swagger UI is served (with `DEBUG=true`).
pub const SWAGGER_UI_PATH: &str = "/docs";
/// Where ReDoc is served (with `DEBUG=true`).
pub const REDOC_PATH: &str = "/redoc";

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
    .service(Redoc::with_url(REDOC_PATH, OPENAPI_PATH));
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
    fn the_initializer_points_at_our_document_and_no_validator() {
        let asset = utoipa_swagger_ui::serve("swagger-initializer.js", swagger_config())
            .unwrap()
            .unwrap();
        let script = String::from_utf8_lossy(&asset.bytes);
        assert!(script.contains("\"url\": \"/openapi.json\""), "{script}");
        assert!(script.contains("\"validatorUrl\": \"none\""), "{script}");
    }
}
