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

/// Largest Argon2 memory a stored hash may ask for (64 MiB): a check never allocates more.
const MAX_BLOCKS: usize = 64 * 1024;

/// Like `verify_password`, with Argon2's working memory lent by the caller and reused from
/// one check to the next, so a storm of checks allocates nothing new.
pub fn verify_password_in(password: &str, phc: &str, memory: &mut Vec<argon2::Block>) -> bool {
    let Ok(h) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (&h.salt, &h.hash) else {
        return false;
    };
    let Ok(algorithm) = argon2::Algorithm::try_from(h.algorithm.as_ref()) else {
        return false;
    };
    let version = match h.version.map(argon2::Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = argon2::Params::try_from(&h) else {
        return false;
    };
    let blocks = params.block_count();
    if blocks > MAX_BLOCKS {
        return false;
    }
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut out = [0u8; 64];
    let Some(out) = out.get_mut(..expected.len()) else {
        return false;
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, out, &mut memory[..blocks])
        .is_ok()
        && argon2::password_hash::phc::Output::new(out).is_ok_and(|o| &o == expected)
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
        let mut memory = Vec::new();
        assert!(verify_password_in("correct horse", &h, &mut memory));
        assert!(!verify_password_in("wrong horse", &h, &mut memory));
        assert!(!verify_password_in("x", "not a phc string", &mut memory));
        assert_eq!(
            memory.len(),
            19 * 1024,
            "the default cost, kept for the next check"
        );
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(new_token(), new_token());
    }
}
