//! AES-256-GCM sealing of secrets (provider API keys) at rest.
//!
//! Sealed format: `"v1:" + base64(nonce (12 random bytes) || ciphertext || tag)`,
//! standard base64 alphabet with padding. The associated data (`aad`) binds a
//! sealed value to its owner, e.g. `b"workspace:42:ai_api_key"`: a value copied
//! to another row or field fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rand::RngCore;

const PREFIX: &str = "v1:";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Why a key could not be loaded or a sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The master key is not base64 of exactly 32 bytes. The message says how
    /// to generate one and never contains key material.
    #[error("{0}")]
    InvalidKey(String),
    /// The sealed value is not in the `v1:` format (wrong prefix, bad base64, too short).
    #[error("sealed secret is malformed: {0}")]
    Malformed(&'static str),
    /// Authentication failed: wrong key, wrong associated data, or tampered data.
    #[error("could not decrypt the secret (wrong key, wrong owner or tampered data)")]
    Decrypt,
}

/// Seals and opens secrets with one AES-256-GCM key.
///
/// `Debug` never prints the key.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox")
            .field("key", &"<redacted>")
            .finish()
    }
}

impl SecretBox {
    /// Loads a key given as standard base64 (surrounding whitespace ignored)
    /// that must decode to exactly 32 bytes.
    pub fn from_base64_key(key_b64: &str) -> Result<Self, SecretError> {
        const HOW: &str = "generate one with `openssl rand -base64 32`";
        let bytes = STANDARD.decode(key_b64.trim()).map_err(|_| {
            SecretError::InvalidKey(format!(
                "the secrets key is not valid base64; it must be 32 random bytes in base64: {HOW}"
            ))
        })?;
        if bytes.len() != KEY_LEN {
            return Err(SecretError::InvalidKey(format!(
                "the secrets key must decode to exactly 32 bytes, got {}; {HOW}",
                bytes.len()
            )));
        }
        let key = Key::<Aes256Gcm>::from_slice(&bytes);
        Ok(Self {
            cipher: Aes256Gcm::new(key),
        })
    }

    /// A fresh random 32-byte key in standard base64 (from the OS RNG).
    pub fn generate_key_base64() -> String {
        let mut key = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut key);
        STANDARD.encode(key)
    }

    /// Encrypts `plaintext` bound to `aad` with a fresh random nonce, so two
    /// seals of the same text differ.
    pub fn seal(&self, plaintext: &str, aad: &[u8]) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad,
        };
        let ciphertext = match self.cipher.encrypt(Nonce::from_slice(&nonce), payload) {
            Ok(c) => c,
            // aes-gcm only fails for messages longer than 64 GiB.
            Err(_) => unreachable!("AES-GCM plaintext exceeds 64 GiB"),
        };
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        format!("{PREFIX}{}", STANDARD.encode(out))
    }

    /// Decrypts a value made by [`SecretBox::seal`] with the same key and `aad`.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Result<String, SecretError> {
        let encoded = sealed
            .trim()
            .strip_prefix(PREFIX)
            .ok_or(SecretError::Malformed("missing `v1:` prefix"))?;
        let raw = STANDARD
            .decode(encoded)
            .map_err(|_| SecretError::Malformed("invalid base64"))?;
        if raw.len() < NONCE_LEN + TAG_LEN {
            return Err(SecretError::Malformed("too short"));
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| SecretError::Decrypt)?;
        String::from_utf8(plaintext).map_err(|_| SecretError::Decrypt)
    }
}

/// A display hint for a stored secret, e.g. `"sk-…f3a9"`: the first 3 and last
/// 4 characters when it has at least 12 characters, otherwise `"••••"`.
pub fn hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() < 12 {
        return "••••".to_string();
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// The secrets key from configuration (`secrets_key`), or else the one kept in
/// `data_dir/secrets.key` (generated on first start, readable by the owner only).
///
/// # Errors
/// A message for the operator: a malformed key, or a key file that cannot be read
/// or written.
pub fn from_config(cfg: &crate::services::Config) -> Result<Option<SecretBox>, String> {
    if let Some(k) = cfg.secrets_key.as_ref().filter(|k| !k.0.trim().is_empty()) {
        return SecretBox::from_base64_key(k.0.trim())
            .map(Some)
            .map_err(|e| e.to_string());
    }
    let dir = std::path::Path::new(&cfg.data_dir);
    let path = dir.join("secrets.key");
    let key = match std::fs::read_to_string(&path) {
        Ok(k) => k,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
            let k = SecretBox::generate_key_base64();
            write_private(&path, &k).map_err(|e| format!("writing {}: {e}", path.display()))?;
            k
        }
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    SecretBox::from_base64_key(key.trim())
        .map(Some)
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(hint("sk-proj-abcdef123f3a9"), "sk-…f3a9");
        assert_eq!(hint("123456789012"), "123…9012");
        assert_eq!(hint("12345678901"), "••••");
        assert_eq!(hint(""), "••••");
        assert_eq!(hint("ééééééééééééé"), "ééé…éééé");
    }

    #[test]
    fn debug_hides_key() {
        let b = SecretBox::from_base64_key(&SecretBox::generate_key_base64()).unwrap();
        assert_eq!(format!("{b:?}"), r#"SecretBox { key: "<redacted>" }"#);
    }
}
