//! Credentials: argon2 password hashes for staff, SHA-256 digests of random bearer tokens
//! (sessions and devices) so a stolen database yields no usable token.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

/// A PHC string for `password` (argon2id, random salt). Slow on purpose: not on a tokio worker.
pub fn hash_password(password: &str) -> Result<String, String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored PHC string. Slow on purpose.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// The stored form of a bearer token.
pub fn token_hash(token: &str) -> String {
    crate::domain::hall::hex(&Sha256::digest(token.as_bytes()))
}

/// A fresh bearer token: 256 random bits, hex.
pub fn new_token() -> String {
    crate::engine::random_hex()
}

/// Minimum password length for staff accounts.
pub const MIN_PASSWORD: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_tokens_hash() {
        let h = hash_password("correct horse").expect("hashes");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong horse", &h));
        assert!(!verify_password("x", "not a phc string"));
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(new_token(), new_token());
    }
}
