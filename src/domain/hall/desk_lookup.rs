//! The help desk's look-up of today's bookings (预约) by their 6-digit check-in code or the
//! citizen's ID number, so a desk clerk can see a booking before checking it in. Read-only.

use super::*;

impl Hall {
    /// Today's bookings (any state) matching `q`: six digits are a check-in code, anything
    /// else is read as an ID number (a bad one is `invalid_id_number`).
    pub fn find_bookings(&self, q: &str, now: Timestamp) -> Result<Vec<&Booking>, DomainError> {
        let q = q.trim();
        let today = local_day(&self.plan, now);
        let mut found: Vec<&Booking> = if q.len() == 6 && q.bytes().all(|b| b.is_ascii_digit()) {
            self.bookings
                .iter()
                .filter(|b| b.day == today && b.code == q)
                .collect()
        } else {
            let id = IdNumber::parse(q).ok_or(DomainError::InvalidIdNumber)?;
            let h = self.hash_id(&id);
            self.bookings
                .iter()
                .filter(|b| b.day == today && b.id_hash == h)
                .collect()
        };
        found.sort_by_key(|b| (b.start, b.id));
        Ok(found)
    }
}
