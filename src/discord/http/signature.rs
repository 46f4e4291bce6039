//! Discord's request signatures: Ed25519 over `timestamp ++ body`, checked against the
//! application's public key before anything else in a request is read.

use ed25519_dalek::{Signature, VerifyingKey};

/// How far a request's timestamp may be from our clock (replays are refused).
pub const MAX_SKEW_SECS: i64 = 300;

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing signature or timestamp header")]
    Missing,
    #[error("the signature is not 64 bytes of hex")]
    Malformed,
    #[error("the timestamp is not a Unix time in seconds")]
    BadTimestamp,
    #[error("the timestamp is more than {MAX_SKEW_SECS} s away from now")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// A bad `DISCORD_PUBLIC_KEY`.
#[derive(Debug, thiserror::Error)]
#[error("DISCORD_PUBLIC_KEY must be the application's public key: 64 hex digits from the developer portal")]
pub struct KeyError;

fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim().as_bytes();
    if text.len() != N * 2 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = [0u8; N];
    for (i, pair) in text.chunks_exact(2).enumerate() {
        out[i] = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

/// Checks requests against one public key.
#[derive(Debug, Clone)]
pub struct Verifier {
    key: VerifyingKey,
}

impl Verifier {
    pub fn new(public_key_hex: &str) -> Result<Verifier, KeyError> {
        let bytes = hex::<32>(public_key_hex).ok_or(KeyError)?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| KeyError)?;
        Ok(Verifier { key })
    }

    /// Verifies `signature` (hex) over `timestamp ++ body`, and that `timestamp` (Unix
    /// seconds) is within [`MAX_SKEW_SECS`] of `now`.
    pub fn verify(
        &self,
        signature: Option<&str>,
        timestamp: Option<&str>,
        body: &[u8],
        now: i64,
    ) -> Result<(), SignatureError> {
        let (Some(signature), Some(timestamp)) = (signature, timestamp) else {
            return Err(SignatureError::Missing);
        };
        let signature = hex::<64>(signature).ok_or(SignatureError::Malformed)?;
        let signature = Signature::from_bytes(&signature);
        let mut message = Vec::with_capacity(timestamp.len() + body.len());
        message.extend_from_slice(timestamp.as_bytes());
        message.extend_from_slice(body);
        self.key
            .verify_strict(&message, &signature)
            .map_err(|_| SignatureError::Mismatch)?;
        // Checked after the signature: a forged request learns nothing from the answer.
        let at: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| SignatureError::BadTimestamp)?;
        if (now - at).abs() > MAX_SKEW_SECS {
            return Err(SignatureError::Stale);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    fn hex_of(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn signed(k: &SigningKey, ts: &str, body: &[u8]) -> String {
        let mut m = ts.as_bytes().to_vec();
        m.extend_from_slice(body);
        hex_of(&k.sign(&m).to_bytes())
    }

    #[test]
    fn signatures_are_checked_over_timestamp_and_body() {
        let k = key(7);
        let v = Verifier::new(&hex_of(k.verifying_key().as_bytes())).unwrap();
        let body = br#"{"type":1}"#;
        let now = 1_700_000_000;
        let ts = now.to_string();
        let sig = signed(&k, &ts, body);
        assert_eq!(v.verify(Some(&sig), Some(&ts), body, now), Ok(()));
        assert_eq!(
            v.verify(Some(&sig.to_uppercase()), Some(&ts), body, now),
            Ok(())
        );
        assert_eq!(
            v.verify(None, Some(&ts), body, now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            v.verify(Some(&sig), None, body, now),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            v.verify(Some("zz"), Some(&ts), body, now),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            v.verify(Some(&sig), Some(&ts), br#"{"type":2}"#, now),
            Err(SignatureError::Mismatch),
            "tampered body"
        );
        let other = signed(&key(8), &ts, body);
        assert_eq!(
            v.verify(Some(&other), Some(&ts), body, now),
            Err(SignatureError::Mismatch),
            "wrong key"
        );
        let old = (now - MAX_SKEW_SECS - 1).to_string();
        assert_eq!(
            v.verify(Some(&signed(&k, &old, body)), Some(&old), body, now),
            Err(SignatureError::Stale)
        );
        let edge = (now - MAX_SKEW_SECS).to_string();
        assert_eq!(
            v.verify(Some(&signed(&k, &edge, body)), Some(&edge), body, now),
            Ok(())
        );
        // The timestamp is part of what is signed.
        let later = (now + 1).to_string();
        assert_eq!(
            v.verify(Some(&sig), Some(&later), body, now),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn public_keys_must_be_64_hex_digits() {
        assert!(Verifier::new("abc").is_err());
        assert!(Verifier::new(&"g".repeat(64)).is_err());
        assert!(Verifier::new(&hex_of(key(1).verifying_key().as_bytes())).is_ok());
    }
}
