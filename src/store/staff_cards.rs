//! The clerk's card rows (`staff_cards`): the staff number (工号) and the photo an admin set,
//! one row per user, written only through the account commands' `AccountChange`s and read
//! by the window screen's card route and the admin page. SQL only; the rules are in
//! `domain::staff_card`.

use rusqlite::{Connection, OptionalExtension, params};

use super::Result;
use crate::domain::staff_card::PhotoType;

/// Migration: one card per user; the photo's bytes beside its type, size and ETag.
pub const MIGRATION: &str = r#"
    CREATE TABLE staff_cards (
        username     TEXT PRIMARY KEY REFERENCES users(username),
        staff_no     TEXT,
        photo        BLOB,
        photo_type   TEXT,
        photo_width  INTEGER,
        photo_height INTEGER,
        photo_etag   TEXT
    );
"#;

/// A card as the admin page and the window screen read it (the photo's bytes apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRow {
    pub username: String,
    pub staff_no: Option<String>,
    pub photo: Option<PhotoMeta>,
}

/// What a stored photo is, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoMeta {
    pub kind: PhotoType,
    pub width: u32,
    pub height: u32,
    pub etag: String,
}

/// A stored photo with its bytes.
#[derive(Debug, Clone)]
pub struct PhotoBytes {
    pub kind: PhotoType,
    pub etag: String,
    pub bytes: Vec<u8>,
}

/// Set or clear the staff number (inside the caller's transaction).
pub fn set_staff_no(c: &Connection, username: &str, staff_no: Option<&str>) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO staff_cards(username, staff_no) VALUES (?1, ?2)
         ON CONFLICT(username) DO UPDATE SET staff_no = excluded.staff_no",
    )?
    .execute(params![username, staff_no])?;
    Ok(())
}

/// Who other than `except` carries staff number `staff_no` on their card, if anyone.
pub fn holder_of(c: &Connection, staff_no: &str, except: &str) -> Result<Option<String>> {
    Ok(
        c.prepare_cached(
            "SELECT username FROM staff_cards WHERE staff_no = ?1 AND username <> ?2",
        )?
        .query_row([staff_no, except], |r| r.get(0))
        .optional()?,
    )
}

/// Set or remove the photo (inside the caller's transaction).
pub fn set_photo(
    c: &Connection,
    username: &str,
    photo: Option<&crate::domain::staff_card::StaffPhoto>,
) -> Result<()> {
    c.prepare_cached(
        "INSERT INTO staff_cards(username, photo, photo_type, photo_width, photo_height, photo_etag)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(username) DO UPDATE SET photo = excluded.photo, photo_type = excluded.photo_type,
           photo_width = excluded.photo_width, photo_height = excluded.photo_height,
           photo_etag = excluded.photo_etag",
    )?
    .execute(params![
        username,
        photo.map(|p| p.bytes.as_slice()),
        photo.map(|p| p.kind.mime()),
        photo.map(|p| p.width),
        photo.map(|p| p.height),
        photo.map(|p| p.etag.as_str()),
    ])?;
    Ok(())
}

type RawCard = (
    String,
    Option<String>,
    Option<String>,
    Option<u32>,
    Option<u32>,
    Option<String>,
);

fn card_row((username, staff_no, kind, width, height, etag): RawCard) -> Result<CardRow> {
    let photo = match (kind, width, height, etag) {
        (Some(k), Some(width), Some(height), Some(etag)) => Some(PhotoMeta {
            // A type this build does not know is a damaged row, not a missing photo.
            kind: PhotoType::parse(&k)
                .ok_or_else(|| super::StoreError::Other(format!("photo type {k:?}")))?,
            width,
            height,
            etag,
        }),
        _ => None,
    };
    Ok(CardRow {
        username,
        staff_no,
        photo,
    })
}

const CARD_COLUMNS: &str =
    "SELECT username, staff_no, photo_type, photo_width, photo_height, photo_etag FROM staff_cards";

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawCard> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

/// Every card (users without one have no row).
pub fn cards(c: &Connection) -> Result<Vec<CardRow>> {
    let mut stmt = c.prepare_cached(&format!("{CARD_COLUMNS} ORDER BY username"))?;
    let raws = stmt
        .query_map([], raw)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    raws.into_iter().map(card_row).collect()
}

/// One user's card, if any.
pub fn card(c: &Connection, username: &str) -> Result<Option<CardRow>> {
    let found = c
        .prepare_cached(&format!("{CARD_COLUMNS} WHERE username = ?1"))?
        .query_row([username], raw)
        .optional()?;
    found.map(card_row).transpose()
}

/// One user's photo with its bytes, if any.
pub fn photo(c: &Connection, username: &str) -> Result<Option<PhotoBytes>> {
    type Stored = (Option<Vec<u8>>, Option<String>, Option<String>);
    let found: Option<Stored> = c
        .prepare_cached(
            "SELECT photo, photo_type, photo_etag FROM staff_cards WHERE username = ?1",
        )?
        .query_row([username], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((Some(bytes), Some(kind), Some(etag))) = found else {
        return Ok(None);
    };
    let kind = PhotoType::parse(&kind)
        .ok_or_else(|| super::StoreError::Other(format!("photo type {kind:?}")))?;
    Ok(Some(PhotoBytes { kind, etag, bytes }))
}

impl super::Reader {
    /// Every clerk's card (blocking: call from `spawn_blocking`).
    pub fn staff_cards(&self) -> Result<Vec<CardRow>> {
        self.with(cards)
    }

    /// One user's card, if any.
    pub fn staff_card(&self, username: &str) -> Result<Option<CardRow>> {
        self.with(|c| card(c, username))
    }

    /// One user's photo with its bytes, if any.
    pub fn staff_photo(&self, username: &str) -> Result<Option<PhotoBytes>> {
        self.with(|c| photo(c, username))
    }
}
