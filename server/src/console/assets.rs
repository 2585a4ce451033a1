//! The single-page app's files, embedded at build time by `server/build.rs` from
//! `server/console-dist` (committed; rebuilt with `npm ci && npm run build` in `console/`).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};

include!(concat!(env!("OUT_DIR"), "/console_assets.rs"));

const NOT_BUILT: &str = "<!doctype html><title>imsdk console</title><p>The console was not \
built into this binary: run <code>npm ci &amp;&amp; npm run build</code> in <code>console/</code>, \
then build imsdk-server again.</p>";

/// `/console` (the app's page) and `/console/assets/{file}`.
pub async fn serve(file: Option<Path<String>>) -> Response {
    let name = match &file {
        Some(Path(f)) => format!("assets/{f}"),
        None => "index.html".to_owned(),
    };
    match ASSETS.iter().find(|(n, _)| *n == name) {
        Some((n, bytes)) => {
            let cache = if n.starts_with("assets/") {
                // Vite puts a content hash in every asset name.
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            (
                [
                    (header::CONTENT_TYPE, mime(n)),
                    (header::CACHE_CONTROL, cache),
                ],
                *bytes,
            )
                .into_response()
        }
        None if file.is_none() => Html(NOT_BUILT).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn mime(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}
