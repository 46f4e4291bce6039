//! Signed Discord interactions for the tests that drive `serve --http` from outside: the
//! Ed25519 signature over timestamp and body that the endpoint checks.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use ed25519_dalek::{Signer, SigningKey};

/// Bytes as lower-case hex, as Discord sends keys and signatures.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The base URL in the line `serve --http` prints ("… serves Discord interactions at
/// http://127.0.0.1:PORT/interactions"): what [`signed_request`] takes.
pub fn base_url(line: &str) -> String {
    line.split("at ")
        .last()
        .unwrap()
        .trim()
        .trim_end_matches("/interactions")
        .to_string()
}

/// `POST {base}/interactions` with `body`, signed now with `key`.
pub fn signed_request(
    client: &reqwest::Client,
    base: &str,
    key: &SigningKey,
    body: &serde_json::Value,
) -> reqwest::RequestBuilder {
    let body = body.to_string();
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut message = ts.as_bytes().to_vec();
    message.extend_from_slice(body.as_bytes());
    client
        .post(format!("{base}/interactions"))
        .header("content-type", "application/json")
        .header("x-signature-ed25519", hex(&key.sign(&message).to_bytes()))
        .header("x-signature-timestamp", ts)
        .body(body)
}
