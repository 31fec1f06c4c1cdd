//! `lambda_http` panics (`expect`) when an event says `isBase64Encoded` but the body is not valid
//! base64. This layer sits in front of its adapter, checks the body first, and turns a bad one into
//! an empty body plus a marker header, so the handler can answer 400 instead of the runtime failing
//! the invocation (which API Gateway turns into a 500).

use std::task::{Context, Poll};

use base64::Engine;
use lambda_http::request::LambdaRequest;
use lambda_http::{http::HeaderMap, http::HeaderValue, LambdaEvent, Service};

/// Set only by this layer; a copy sent by a client is removed first.
pub const INVALID_BASE64_MARKER: &str = "x-fanfare-webhooks-invalid-base64";

#[derive(Clone)]
pub struct Base64Guard<S>(pub S);

impl<S> Service<LambdaEvent<LambdaRequest>> for Base64Guard<S>
where
    S: Service<LambdaEvent<LambdaRequest>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut event: LambdaEvent<LambdaRequest>) -> Self::Future {
        guard(&mut event.payload);
        self.0.call(event)
    }
}

/// Clears an undecodable base64 body and marks the request.
pub fn guard(request: &mut LambdaRequest) {
    match request {
        LambdaRequest::ApiGatewayV2(r) => {
            check(&mut r.body, &mut r.is_base64_encoded, &mut r.headers)
        }
        LambdaRequest::ApiGatewayV1(r) => {
            check(&mut r.body, &mut r.is_base64_encoded, &mut r.headers)
        }
        _ => {}
    }
}

fn check(body: &mut Option<String>, is_base64: &mut bool, headers: &mut HeaderMap) {
    headers.remove(INVALID_BASE64_MARKER);
    if !*is_base64 {
        return;
    }
    let valid = body
        .as_deref()
        .is_none_or(|b| base64::engine::general_purpose::STANDARD.decode(b).is_ok());
    if !valid {
        *body = None;
        *is_base64 = false;
        headers.insert(INVALID_BASE64_MARKER, HeaderValue::from_static("1"));
    }
}
