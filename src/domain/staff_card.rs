//! A clerk's card on their window's screen, as Chinese halls post it: the staff number (工号)
//! and an optional photo. Owns the rules an admin's upload must meet (JPEG or PNG by its own
//! bytes, a size limit, plausible portrait dimensions) and the photo's identity (its ETag).
//! Pure: the bytes come in, nothing is read or written here; the account commands in
//! `accounts` record a change, `store::staff_cards` keeps the rows.

use sha2::{Digest, Sha256};

use super::error::DomainError;

/// The largest photo accepted, in bytes (a 2-inch ID photo at print quality is ~100 KB).
pub const MAX_PHOTO_BYTES: usize = 512 * 1024;
/// The shortest side a photo may have, in pixels: smaller looks blocky on a 1080p screen.
pub const MIN_PHOTO_SIDE: u32 = 120;
/// The longest side a photo may have, in pixels: larger only costs the screens memory.
pub const MAX_PHOTO_SIDE: u32 = 2400;
/// Longest staff number, in characters.
pub const MAX_STAFF_NO: usize = 16;

/// The two kinds of photo a screen can show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoType {
    Jpeg,
    Png,
}

impl PhotoType {
    /// The `Content-Type` the photo is served with.
    pub fn mime(self) -> &'static str {
        match self {
            PhotoType::Jpeg => "image/jpeg",
            PhotoType::Png => "image/png",
        }
    }

    /// Parse a stored or declared media type (parameters ignored); anything else is `None`.
    pub fn parse(s: &str) -> Option<PhotoType> {
        match s
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(PhotoType::Jpeg),
            "image/png" => Some(PhotoType::Png),
            _ => None,
        }
    }
}

/// A checked photo, ready to store.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffPhoto {
    pub kind: PhotoType,
    pub width: u32,
    pub height: u32,
    /// The first 16 hex digits of the bytes' SHA-256: screens refetch only when it changes.
    pub etag: String,
    pub bytes: Vec<u8>,
}

/// Logs and test failures show the photo's identity, not a hundred kilobytes of it.
impl std::fmt::Debug for StaffPhoto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffPhoto")
            .field("kind", &self.kind)
            .field("size", &(self.width, self.height))
            .field("etag", &self.etag)
            .field("bytes", &self.bytes.len())
            .finish()
    }
}

/// A staff number as stored: trimmed, 1-16 of `A-Z a-z 0-9 -`; blank clears it (`None`).
pub fn checked_staff_no(raw: &str) -> Result<Option<String>, DomainError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > MAX_STAFF_NO
        || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(DomainError::InvalidStaffNo);
    }
    Ok(Some(s.to_string()))
}

/// Check an upload: the declared type must be JPEG or PNG and agree with the bytes, the size
/// within `MAX_PHOTO_BYTES`, each side within `MIN_PHOTO_SIDE..=MAX_PHOTO_SIDE`, and the photo
/// upright or square (height at least 3/4 of the width: a head shot, not a group picture).
pub fn check_photo(declared: &str, bytes: Vec<u8>) -> Result<StaffPhoto, DomainError> {
    let kind = PhotoType::parse(declared).ok_or(DomainError::UnsupportedPhotoType)?;
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(DomainError::PhotoTooLarge);
    }
    let sniffed = sniff(&bytes).ok_or(DomainError::UnsupportedPhotoType)?;
    if sniffed != kind {
        return Err(DomainError::UnsupportedPhotoType);
    }
    let (width, height) = match kind {
        PhotoType::Png => png_size(&bytes),
        PhotoType::Jpeg => jpeg_size(&bytes),
    }
    .ok_or_else(|| DomainError::InvalidPhoto("?".into()))?;
    let side = MIN_PHOTO_SIDE..=MAX_PHOTO_SIDE;
    if !side.contains(&width) || !side.contains(&height) || height * 4 < width * 3 {
        return Err(DomainError::InvalidPhoto(format!("{width}×{height}")));
    }
    // What a camera or phone wrote beside the picture (place, time, device) is not for the
    // hall's screens.
    let bytes = match kind {
        PhotoType::Jpeg => jpeg_without_metadata(&bytes),
        PhotoType::Png => png_without_metadata(&bytes),
    }
    .ok_or_else(|| DomainError::InvalidPhoto("?".into()))?;
    let digest = Sha256::digest(&bytes);
    let etag = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Ok(StaffPhoto {
        kind,
        width,
        height,
        etag,
        bytes,
    })
}

/// What the bytes say they are.
fn sniff(b: &[u8]) -> Option<PhotoType> {
    if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(PhotoType::Png)
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(PhotoType::Jpeg)
    } else {
        None
    }
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// A PNG's size from its first chunk, which must be IHDR; the file must also end with IEND
/// (a cut upload is refused rather than shown half-drawn).
fn png_size(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(12..16)? != b"IHDR" || !b.ends_with(b"IEND\xAE\x42\x60\x82") {
        return None;
    }
    Some((be32(b, 16)?, be32(b, 20)?))
}

/// A JPEG's size from its frame header (SOF0-SOF15 but DHT, JPG and DAC), walking the marker
/// segments from the start; the file must end with EOI.
fn jpeg_size(b: &[u8]) -> Option<(u32, u32)> {
    if !b.ends_with(&[0xFF, 0xD9]) {
        return None;
    }
    let mut at = 2;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while *b.get(at)? == 0xFF && *b.get(at + 1)? == 0xFF {
            at += 1;
        }
        if *b.get(at)? != 0xFF {
            return None;
        }
        let marker = *b.get(at + 1)?;
        let len = be16(b, at + 2)? as usize;
        if len < 2 {
            return None;
        }
        match marker {
            0xC0..=0xCF if ![0xC4, 0xC8, 0xCC].contains(&marker) => {
                let height = be16(b, at + 5)?;
                let width = be16(b, at + 7)?;
                return Some((width, height));
            }
            // Start of scan before any frame header: not a JPEG a browser can draw.
            0xDA | 0xD9 => return None,
            _ => at += 2 + len,
        }
    }
}

/// A JPEG without its EXIF/XMP (APP1-APP13, APP15) and comment segments; the JFIF (APP0) and
/// Adobe (APP14) headers stay, as does everything from the start of scan on.
fn jpeg_without_metadata(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = b[..2].to_vec();
    let mut at = 2;
    loop {
        while *b.get(at)? == 0xFF && *b.get(at + 1)? == 0xFF {
            at += 1;
        }
        let marker = *b.get(at + 1)?;
        // Start of scan (or, in a header-only file, its end): the rest is the picture.
        if marker == 0xDA || marker == 0xD9 {
            out.extend_from_slice(b.get(at..)?);
            return Some(out);
        }
        let end = at + 2 + be16(b, at + 2)? as usize;
        let segment = b.get(at..end)?;
        if !matches!(marker, 0xE1..=0xED | 0xEF | 0xFE) {
            out.extend_from_slice(segment);
        }
        at = end;
    }
}

/// A PNG without its text and EXIF chunks (tEXt, zTXt, iTXt, eXIf, tIME).
fn png_without_metadata(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = b[..8].to_vec();
    let mut at = 8;
    while at < b.len() {
        let end = at + 12 + be32(b, at)? as usize;
        let chunk = b.get(at..end)?;
        if ![&b"tEXt"[..], b"zTXt", b"iTXt", b"eXIf", b"tIME"].contains(&&chunk[4..8]) {
            out.extend_from_slice(chunk);
        }
        at = end;
    }
    Some(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal PNG of `w`×`h` (header and end only: enough for the checks here).
    pub(crate) fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        b.extend(b"\0\0\0\0IEND\xAE\x42\x60\x82");
        b
    }

    /// A minimal JPEG: SOI, an APP0, a SOF0 of `w`×`h`, EOI.
    pub(crate) fn jpeg(w: u16, h: u16) -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
        b.extend(b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
        b.extend([0xFF, 0xC0, 0, 11, 8]);
        b.extend(h.to_be_bytes());
        b.extend(w.to_be_bytes());
        b.extend([1, 1, 0x11, 0]);
        b.extend([0xFF, 0xD9]);
        b
    }

    #[test]
    fn jpeg_and_png_are_read_by_their_bytes_and_sized() {
        let p = check_photo("image/png", png(300, 400)).expect("png");
        assert_eq!((p.kind, p.width, p.height), (PhotoType::Png, 300, 400));
        assert_eq!(p.etag.len(), 16);
        let j = check_photo("image/jpeg; charset=binary", jpeg(413, 579)).expect("jpeg");
        assert_eq!((j.kind.mime(), j.width, j.height), ("image/jpeg", 413, 579));
        assert_ne!(p.etag, j.etag);
    }

    #[test]
    fn a_photo_must_be_what_it_says_small_enough_and_upright() {
        let cases: Vec<(&str, Vec<u8>, DomainError)> = vec![
            (
                "image/gif",
                png(300, 400),
                DomainError::UnsupportedPhotoType,
            ),
            (
                "image/png",
                jpeg(300, 400),
                DomainError::UnsupportedPhotoType,
            ),
            (
                "image/jpeg",
                b"GIF89a....".to_vec(),
                DomainError::UnsupportedPhotoType,
            ),
            (
                "image/png",
                png(100, 400),
                DomainError::InvalidPhoto("100×400".into()),
            ),
            (
                "image/png",
                png(300, 3000),
                DomainError::InvalidPhoto("300×3000".into()),
            ),
            (
                "image/png",
                png(800, 400),
                DomainError::InvalidPhoto("800×400".into()),
            ),
            (
                "image/jpeg",
                jpeg(300, 400)[..20].to_vec(),
                DomainError::InvalidPhoto("?".into()),
            ),
            (
                "image/png",
                png(300, 400)[..30].to_vec(),
                DomainError::InvalidPhoto("?".into()),
            ),
        ];
        for (declared, bytes, want) in cases {
            assert_eq!(check_photo(declared, bytes).expect_err(declared), want);
        }
        let mut big = jpeg(300, 400);
        big.splice(2..2, vec![0u8; MAX_PHOTO_BYTES]);
        assert_eq!(
            check_photo("image/jpeg", big),
            Err(DomainError::PhotoTooLarge)
        );
        // Square is fine, a little wider than tall too (3:4 rule), but not a landscape.
        assert!(check_photo("image/png", png(400, 400)).is_ok());
        assert!(check_photo("image/png", png(400, 300)).is_ok());
        assert!(check_photo("image/png", png(400, 299)).is_err());
    }

    #[test]
    fn what_the_camera_wrote_is_dropped_and_the_picture_kept() {
        // An EXIF segment (APP1) and a comment after the JFIF header.
        let clean = jpeg(300, 400);
        let mut tagged = clean[..20].to_vec();
        tagged.extend([0xFF, 0xE1, 0, 10]);
        tagged.extend(b"Exif\0\0GP");
        tagged.extend([0xFF, 0xFE, 0, 6]);
        tagged.extend(b"gps!");
        tagged.extend(&clean[20..]);
        let p = check_photo("image/jpeg", tagged).expect("jpeg");
        assert_eq!(p.bytes, clean);
        assert_eq!(
            p.etag,
            check_photo("image/jpeg", clean).expect("clean").etag
        );
        // A tEXt chunk after IHDR.
        let clean = png(300, 400);
        let mut tagged = clean[..33].to_vec();
        tagged.extend(3u32.to_be_bytes());
        tagged.extend(b"tEXtGPS\0\0\0\0");
        tagged.extend(&clean[33..]);
        let p = check_photo("image/png", tagged).expect("png");
        assert_eq!(p.bytes, clean);
    }

    #[test]
    fn staff_numbers_are_short_plain_and_blank_clears() {
        assert_eq!(checked_staff_no(" SD-0123 "), Ok(Some("SD-0123".into())));
        assert_eq!(checked_staff_no("  "), Ok(None));
        for bad in ["工号1", "12 34", "a/b", "12345678901234567"] {
            assert_eq!(
                checked_staff_no(bad),
                Err(DomainError::InvalidStaffNo),
                "{bad}"
            );
        }
    }
}
