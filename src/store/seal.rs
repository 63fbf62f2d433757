//! Sealed columns: personal data (phone numbers) stored encrypted and authenticated with the
//! key file's key (XChaCha20-Poly1305, a fresh random nonce per value). Each value is bound to
//! its column and row, so a sealed phone copied onto another ticket does not open. Also the
//! one-time pass that seals the plaintext an older database holds.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rusqlite::{Connection, params};

use super::Result;
use super::keys::Keys;

/// Sealed values start with this (a phone number never does).
const PREFIX: &str = "s1:";

/// A sealed column: the table and column it lives in (part of what the seal authenticates).
#[derive(Debug, Clone, Copy)]
pub struct Column(pub &'static str);

pub const TICKET_PHONE: Column = Column("tickets.phone");
pub const BOOKING_PHONE: Column = Column("appointments.phone");
/// A notification's phone, bound to its booking or ticket (whichever it is about).
pub const OUTBOX_PHONE: Column = Column("outbox.phone");

fn aad(column: Column, row: i64) -> String {
    format!("hallq/{}/{row}", column.0)
}

impl Keys {
    /// Seal `plain` for `column` of row `row`.
    pub fn seal(&self, column: Column, row: i64, plain: &str) -> String {
        let cipher = XChaCha20Poly1305::new(&self.seal.into());
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).expect("the OS random source is available");
        let aad = aad(column, row);
        let sealed = cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .expect("sealing a short value cannot fail");
        let mut out = String::with_capacity(PREFIX.len() + 2 * (24 + sealed.len()));
        out.push_str(PREFIX);
        out.push_str(&crate::domain::hall::hex(&nonce));
        out.push_str(&crate::domain::hall::hex(&sealed));
        out
    }

    /// Open a value `seal` made for the same column and row; `None` when it does not open
    /// (another key, another row, or altered).
    pub fn open(&self, column: Column, row: i64, stored: &str) -> Option<String> {
        let bytes = unhex(stored.strip_prefix(PREFIX)?)?;
        if bytes.len() < 24 + 16 {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce = XNonce::try_from(nonce).ok()?;
        let cipher = XChaCha20Poly1305::new(&self.seal.into());
        let aad = aad(column, row);
        let plain = cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        String::from_utf8(plain).ok()
    }

    /// Open an optional stored value; one that does not open is logged and dropped (a hall
    /// keeps serving without it), never passed on sealed.
    pub(super) fn open_opt(
        &self,
        column: Column,
        row: i64,
        stored: Option<String>,
    ) -> Option<String> {
        let s = stored?;
        let plain = self.open(column, row, &s);
        if plain.is_none() {
            tracing::error!(
                column = column.0,
                row,
                "a sealed value does not open with this key file; dropped"
            );
        }
        plain
    }
}

/// Whether a stored value is sealed.
pub fn is_sealed(stored: &str) -> bool {
    stored.starts_with(PREFIX)
}

pub(super) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
        .collect()
}

/// Seal every plaintext phone an older database holds, once (the migration that asks for it
/// leaves `seal_pending` in `meta`). Returns how many values were sealed.
pub(super) fn seal_pending(conn: &Connection, keys: &Keys) -> Result<usize> {
    let pending: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM meta WHERE key = 'seal_pending')",
        [],
        |r| r.get(0),
    )?;
    if !pending {
        return Ok(0);
    }
    let tx = conn.unchecked_transaction()?;
    let mut sealed = 0;
    for (table, column) in [("tickets", TICKET_PHONE), ("appointments", BOOKING_PHONE)] {
        let plain: Vec<(i64, String)> = tx
            .prepare(&format!(
                "SELECT id, phone FROM {table} WHERE phone IS NOT NULL AND phone NOT LIKE '{PREFIX}%'"
            ))?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        let mut update = tx.prepare(&format!("UPDATE {table} SET phone = ?2 WHERE id = ?1"))?;
        for (id, phone) in plain {
            update.execute(params![id, keys.seal(column, id, &phone)])?;
            sealed += 1;
        }
    }
    tx.execute("DELETE FROM meta WHERE key = 'seal_pending'", [])?;
    tx.commit()?;
    Ok(sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Keys {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("k.db");
        let conn = Connection::open(&db).expect("db");
        super::super::schema::migrate(&conn).expect("schema");
        super::super::keys::unlock(&conn, &db).expect("keys")
    }

    #[test]
    fn a_sealed_phone_opens_only_for_its_row_column_and_key() {
        let k = keys();
        let s = k.seal(TICKET_PHONE, 7, "13812345678");
        assert!(is_sealed(&s) && !s.contains("13812345678"), "{s}");
        assert_ne!(
            s,
            k.seal(TICKET_PHONE, 7, "13812345678"),
            "a fresh nonce each time"
        );
        assert_eq!(k.open(TICKET_PHONE, 7, &s).as_deref(), Some("13812345678"));
        assert_eq!(k.open(TICKET_PHONE, 8, &s), None, "another row");
        assert_eq!(k.open(BOOKING_PHONE, 7, &s), None, "another column");
        assert_eq!(keys().open(TICKET_PHONE, 7, &s), None, "another key");
        let mut altered = s.clone().into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
        let altered = String::from_utf8(altered).expect("ascii");
        assert_eq!(k.open(TICKET_PHONE, 7, &altered), None, "altered");
        assert_eq!(k.open(TICKET_PHONE, 7, "13812345678"), None, "plaintext");
    }
}
