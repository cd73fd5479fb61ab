//! One operation of the API: the method and path its `#[utoipa::path]`
//! annotation declares, its documentation, and its handler, kept together.
//!
//! The router ([`register`]) and the OpenAPI document (`crate::inbound::openapi`) are
//! both built from the one list, [`super::endpoints`], so the method and path
//! are written once (in the annotation): a route cannot be served without
//! being documented, nor documented without being served.

use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, Responder, Route, web};
use utoipa::openapi::path::{HttpMethod, Operation};

use crate::inbound::middleware::personal_token_gate::personal_token_gate;

/// A handler with its documentation.
pub struct Endpoint {
    tag: &'static str,
    path: String,
    methods: Vec<HttpMethod>,
    operation: fn() -> Operation,
    route: Box<dyn Fn() -> Route>,
    documented_by: &'static str,
    handler: &'static str,
}

impl Endpoint {
    /// `_doc` is the unit struct `#[utoipa::path]` generates beside the
    /// handler, named `__path_<handler>`; its type says where `handler` is
    /// served and how it is documented. `tag` groups operations in the
    /// document.
    pub fn new<P, F, Args>(tag: &'static str, _doc: P, handler: F) -> Self
    where
        P: utoipa::Path,
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        Self {
            tag,
            path: P::path(),
            methods: P::methods(),
            operation: P::operation,
            route: Box::new(move || web::route().to(handler.clone())),
            documented_by: std::any::type_name::<P>(),
            handler: std::any::type_name::<F>(),
        }
    }

    /// The path template, in the form both actix and OpenAPI use
    /// (`/v1/todos/{id}`).
    #[must_use]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The HTTP methods it answers.
    #[must_use]
    pub fn methods(&self) -> Vec<Method> {
        self.methods.iter().map(method).collect()
    }

    /// The methods as the OpenAPI document names them.
    #[must_use]
    pub fn http_methods(&self) -> &[HttpMethod] {
        &self.methods
    }

    /// The documented operation, tagged.
    #[must_use]
    pub fn operation(&self) -> Operation {
        let mut operation = (self.operation)();
        operation.tags = Some(vec![self.tag.to_owned()]);
        operation
    }

    /// Whether the documentation given is the one generated for this
    /// handler (`module::__path_name` beside `module::name`), so that no
    /// handler is served under another's path.
    #[must_use]
    pub fn documents_its_handler(&self) -> bool {
        match (
            self.documented_by.rsplit_once("::"),
            self.handler.rsplit_once("::"),
        ) {
            (Some((doc_module, doc_name)), Some((module, name))) => {
                doc_module == module && doc_name.strip_prefix("__path_") == Some(name)
            }
            _ => false,
        }
    }

    /// `module::name` of the handler, for messages.
    /// Whether the operation is documented as needing a bearer token (it
    /// names a security requirement).
    #[must_use]
    pub fn requires_bearer(&self) -> bool {
        (self.operation)()
            .security
            .is_some_and(|requirements| !requirements.is_empty())
    }

    #[must_use]
    pub fn handler_name(&self) -> &'static str {
        self.handler
    }
}

/// Registers every endpoint: one resource per path, one route per method, so
/// an unknown method on a known path is 405 (not 404).
pub fn register(cfg: &mut web::ServiceConfig, endpoints: &[Endpoint]) {
    let mut paths: Vec<&str> = Vec::new();
    for endpoint in endpoints {
        if !paths.contains(&endpoint.path()) {
            paths.push(endpoint.path());
        }
    }
    for path in paths {
        let mut resource = web::resource(path);
        let mut allowed: Vec<String> = Vec::new();
        for endpoint in endpoints.iter().filter(|e| e.path() == path) {
            for method in endpoint.methods() {
                allowed.push(method.to_string());
                let route = (endpoint.route)().method(method);
                // Every protected route, and only those, goes through the
                // one gate that decides what a personal access token reaches.
                resource = resource.route(if endpoint.requires_bearer() {
                    route.wrap(from_fn(personal_token_gate))
                } else {
                    route
                });
            }
        }
        let allow = allowed.join(", ");
        cfg.service(resource.default_service(web::to(move || method_not_allowed(allow.clone()))));
    }
}

/// A known path with a method it does not serve: 405 in the envelope, with
/// the `Allow` header RFC 9110 requires.
async fn method_not_allowed(allow: String) -> actix_web::HttpResponse {
    let mut response = actix_web::ResponseError::error_response(
        &crate::inbound::error::ApiError::MethodNotAllowed,
    );
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
        response
            .headers_mut()
            .insert(actix_web::http::header::ALLOW, value);
    }
    response
}

fn method(method: &HttpMethod) -> Method {
    match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Trace => Method::TRACE,
    }
}
