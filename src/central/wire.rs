//! PostgreSQL binary forms the central code reads and writes without a date-time crate
//! feature: `date` and `timestamptz` for binary COPY, whole `numeric` sums when read, the
//! rollups' bucket counts as arrays that keep only their nonzero span, and whole binary COPY
//! payloads built in memory.

use std::error::Error;

use bytes::{BufMut, Bytes, BytesMut};
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

/// An encoding error, as `ToSql` reports one.
pub type BoxError = Box<dyn Error + Sync + Send>;

/// 2000-01-01 (PostgreSQL's epoch) in ms since the Unix epoch.
const PG_EPOCH_MS: i64 = 946_684_800_000;

/// A `date`, as days since 2000-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgDate(pub i32);

impl PgDate {
    /// `YYYY-MM-DD`; `None` if it is not a date.
    pub fn parse(day: &str) -> Option<PgDate> {
        let d: jiff::civil::Date = day.parse().ok()?;
        let days = jiff::civil::date(2000, 1, 1)
            .until((jiff::Unit::Day, d))
            .ok()?
            .get_days();
        Some(PgDate(days))
    }
}

impl ToSql for PgDate {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.put_i32(self.0);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::DATE
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for PgDate {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(PgDate(i32::from_be_bytes(raw.try_into()?)))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::DATE
    }
}

impl PgDate {
    /// `YYYY-MM-DD`.
    pub fn format(self) -> Result<String, BoxError> {
        let d = jiff::civil::date(2000, 1, 1).checked_add(jiff::Span::new().days(self.0))?;
        Ok(d.to_string())
    }
}

/// A `timestamptz` from milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgTime(pub i64);

impl ToSql for PgTime {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        out.put_i64((self.0 - PG_EPOCH_MS) * 1000);
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for PgTime {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let us = i64::from_be_bytes(raw.try_into()?);
        Ok(PgTime(us.div_euclid(1000) + PG_EPOCH_MS))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::TIMESTAMPTZ
    }
}

/// Rows in PostgreSQL's binary COPY format, built in memory (off the async threads) and sent
/// in one piece: no round trip to the connection's task every few kilobytes.
pub struct CopyRows {
    buf: BytesMut,
    types: Vec<Type>,
    rows: usize,
}

/// The binary COPY header: signature, flags, no extension.
const COPY_SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

impl CopyRows {
    /// An empty payload for `columns`, with room for about `capacity` bytes.
    pub fn new(columns: &[(&str, Type)], capacity: usize) -> CopyRows {
        let mut buf = BytesMut::with_capacity(capacity + COPY_SIGNATURE.len() + 10);
        buf.put_slice(COPY_SIGNATURE);
        buf.put_i32(0);
        buf.put_i32(0);
        CopyRows {
            buf,
            types: columns.iter().map(|c| c.1.clone()).collect(),
            rows: 0,
        }
    }

    /// Append one row, a value per column.
    pub fn row(&mut self, values: &[&(dyn ToSql + Sync)]) -> Result<(), BoxError> {
        if values.len() != self.types.len() {
            return Err(format!("{} values for {} columns", values.len(), self.types.len()).into());
        }
        self.buf.put_i16(i16::try_from(values.len())?);
        for (v, ty) in values.iter().zip(&self.types) {
            let at = self.buf.len();
            self.buf.put_i32(0);
            let len = match v.to_sql_checked(ty, &mut self.buf)? {
                IsNull::Yes => -1,
                IsNull::No => i32::try_from(self.buf.len() - at - 4)?,
            };
            self.buf[at..at + 4].copy_from_slice(&len.to_be_bytes());
        }
        self.rows += 1;
        Ok(())
    }

    /// Rows appended so far.
    pub fn count(&self) -> usize {
        self.rows
    }

    /// The payload, with its trailer.
    pub fn finish(mut self) -> Bytes {
        self.buf.put_i16(-1);
        self.buf.freeze()
    }
}

/// Whole numbers as PostgreSQL's `numeric` sums return them.
pub struct Decimal(pub i64);

impl<'a> FromSql<'a> for Decimal {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        // numeric binary form: ndigits, weight, sign, dscale, then base-10000 digits.
        let word = |i: usize| -> Result<i16, BoxError> {
            let b = raw.get(i * 2..i * 2 + 2).ok_or("short numeric")?;
            Ok(i16::from_be_bytes([b[0], b[1]]))
        };
        let (n, weight, sign) = (word(0)?, word(1)?, word(2)? as u16);
        let mut v: i64 = 0;
        for i in 0..n.max(0) as usize {
            v = v * 10_000 + i64::from(word(4 + i)?);
        }
        let shift = i32::from(weight) + 1 - i32::from(n);
        for _ in 0..shift.max(0) {
            v *= 10_000;
        }
        Ok(Decimal(if sign == 0x4000 { -v } else { v }))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::NUMERIC
    }
}

/// Bucket counts (`int4[]` or `int8[]`) stored as the span from the first to the last nonzero
/// count, with the array's lower bound saying where it starts: bucket `b` is always subscript
/// `b + 1`, so `SUM(col[i])` reads a span and a full array alike (outside a span is NULL, which
/// a SUM skips), and a day-queue with two tickets stores two numbers, not 209.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counts(pub Vec<i64>);

impl ToSql for Counts {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        Span(&self.0).to_sql(ty, out)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INT4_ARRAY || *ty == Type::INT8_ARRAY
    }

    to_sql_checked!();
}

/// `Counts` written from borrowed counts (no copy per row).
#[derive(Debug)]
pub struct Span<'a>(pub &'a [i64]);

impl ToSql for Span<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        let wide = *ty == Type::INT8_ARRAY;
        let elem = if wide { Type::INT8 } else { Type::INT4 };
        let Some(first) = self.0.iter().position(|c| *c != 0) else {
            // No dimensions: the empty array.
            out.put_i32(0);
            out.put_i32(0);
            out.put_u32(elem.oid());
            return Ok(IsNull::No);
        };
        let last = self.0.iter().rposition(|c| *c != 0).unwrap_or(first);
        out.put_i32(1);
        out.put_i32(0);
        out.put_u32(elem.oid());
        out.put_i32(i32::try_from(last - first + 1)?);
        out.put_i32(i32::try_from(first + 1)?);
        for c in &self.0[first..=last] {
            if wide {
                out.put_i32(8);
                out.put_i64(*c);
            } else {
                out.put_i32(4);
                out.put_i32(i32::try_from(*c)?);
            }
        }
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INT4_ARRAY || *ty == Type::INT8_ARRAY
    }

    to_sql_checked!();
}

impl<'a> FromSql<'a> for Counts {
    fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        let mut at = 0usize;
        let mut word = |n: usize| -> Result<&'a [u8], BoxError> {
            let b = raw.get(at..at + n).ok_or("short array")?;
            at += n;
            Ok(b)
        };
        let int = |b: &[u8]| i32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let ndim = int(word(4)?);
        if ndim == 0 {
            return Ok(Counts(Vec::new()));
        }
        if ndim != 1 {
            return Err("bucket counts have one dimension".into());
        }
        let _flags = word(4)?;
        let _elem = word(4)?;
        let len = usize::try_from(int(word(4)?))?;
        let lower = usize::try_from(int(word(4)?).max(1))?;
        let mut v = vec![0; lower - 1 + len];
        for slot in v.iter_mut().skip(lower - 1) {
            let n = int(word(4)?);
            if n < 0 {
                continue; // NULL counts as nothing
            }
            let b = word(usize::try_from(n)?)?;
            *slot = if *ty == Type::INT8_ARRAY {
                i64::from_be_bytes(b.try_into()?)
            } else {
                i64::from(int(b))
            };
        }
        Ok(Counts(v))
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::INT4_ARRAY || *ty == Type::INT8_ARRAY
    }
}

/// A numeric SUM as i64 (NULL as 0).
pub fn num(r: &tokio_postgres::Row, i: usize) -> i64 {
    r.get::<_, Option<Decimal>>(i).map_or(0, |d| d.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_from_the_postgres_epoch() {
        assert_eq!(PgDate::parse("2000-01-01"), Some(PgDate(0)));
        assert_eq!(PgDate::parse("2000-03-01"), Some(PgDate(60)));
        assert_eq!(PgDate::parse("1999-12-31"), Some(PgDate(-1)));
        assert_eq!(PgDate::parse("2027-02-30"), None);
    }

    #[test]
    fn dates_and_times_read_back_as_written() {
        for day in ["2000-01-01", "1999-12-31", "2026-12-02"] {
            let d = PgDate::parse(day).expect("date");
            let mut out = BytesMut::new();
            d.to_sql(&Type::DATE, &mut out).expect("encode");
            let back = PgDate::from_sql(&Type::DATE, &out).expect("decode");
            assert_eq!(back.format().expect("format"), day);
        }
        for ms in [0, 946_684_800_000, 1_796_000_000_123, 946_684_799_999] {
            let mut out = BytesMut::new();
            PgTime(ms)
                .to_sql(&Type::TIMESTAMPTZ, &mut out)
                .expect("encode");
            assert_eq!(
                PgTime::from_sql(&Type::TIMESTAMPTZ, &out).expect("decode"),
                PgTime(ms)
            );
        }
    }

    #[test]
    fn counts_keep_their_span_and_read_back_whole() {
        for ty in [Type::INT4_ARRAY, Type::INT8_ARRAY] {
            let mut full = vec![0i64; 209];
            full[40] = 2;
            full[42] = 7;
            let mut out = BytesMut::new();
            Counts(full.clone()).to_sql(&ty, &mut out).expect("encode");
            // Header (20 bytes) and three elements, not 209.
            let wide = if ty == Type::INT8_ARRAY { 8 } else { 4 };
            assert_eq!(out.len(), 20 + 3 * (4 + wide));
            let back = Counts::from_sql(&ty, &out).expect("decode");
            assert_eq!(back.0[..43], full[..43]);
            assert!(back.0.len() == 43 && back.0.iter().sum::<i64>() == 9);
            let mut empty = BytesMut::new();
            Counts(vec![0; 13]).to_sql(&ty, &mut empty).expect("encode");
            assert_eq!(
                Counts::from_sql(&ty, &empty).expect("decode").0,
                Vec::<i64>::new()
            );
        }
    }
}
