//! Password hashing (argon2id, off the async runtime) and single-use tokens (random,
//! only their SHA-256 stored).

use super::{ServiceError, ServiceResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id (default parameters: 19 MiB, t=2, p=1).
///
/// # Errors
/// Internal errors from the hasher or the blocking pool.
pub async fn hash_password(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("join: {e}")))?
}

/// Verifies a password against a stored PHC hash.
///
/// # Errors
/// Internal errors from the blocking pool; a malformed hash counts as "no match".
pub async fn verify_password(password: String, hash: String) -> ServiceResult<bool> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("join: {e}")))
}

/// A new random token (URL-safe, 256 bits) and the hash to store.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_token(&token);
    (token, hash)
}

/// SHA-256 hex of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let h = hash_password("correct horse battery".into()).await;
        let Ok(h) = h else { panic!("hash failed") };
        assert!(h.starts_with("$argon2id$"));
        assert!(matches!(
            verify_password("correct horse battery".into(), h.clone()).await,
            Ok(true)
        ));
        assert!(matches!(
            verify_password("wrong".into(), h).await,
            Ok(false)
        ));
        assert!(matches!(
            verify_password("x".into(), "garbage".into()).await,
            Ok(false)
        ));
    }

    #[test]
    fn tokens_are_unique_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(hash_token(&a), ha);
        assert_eq!(ha.len(), 64);
    }
}
