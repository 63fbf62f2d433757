//! PostgreSQL binary forms the central code reads and writes without a date-time crate
//! feature: `date` and `timestamptz` for binary COPY, whole `numeric` sums when read.

use std::error::Error;

use bytes::{BufMut, BytesMut};
use tokio_postgres::types::{FromSql, IsNull, ToSql, Type, to_sql_checked};

type BoxError = Box<dyn Error + Sync + Send>;

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
}
