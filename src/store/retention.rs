//! `[retention]`: clearing a ticket's personal data (phone, ID hash and last four digits) once
//! it is past its time. Statistics (numbers, queues, times, outcomes, ratings) are kept.

use rusqlite::params;

use super::{Result, Store};

impl Store {
    /// Clear the personal data of tickets whose service day is before `phones_before` (phone
    /// numbers) or `ids_before` (ID hashes and last four digits); returns (phones, ids)
    /// cleared. Statistics stay. `[retention]`, run by the engine at each change of day.
    pub fn purge_personal(
        &mut self,
        phones_before: &str,
        ids_before: &str,
    ) -> Result<(usize, usize)> {
        let tx = self.conn.transaction()?;
        let phones = tx.execute(
            "UPDATE tickets SET phone = NULL WHERE phone IS NOT NULL AND service_day < ?1",
            params![phones_before],
        )?;
        let ids = tx.execute(
            "UPDATE tickets SET id_hash = NULL, id_last4 = NULL
             WHERE (id_hash IS NOT NULL OR id_last4 IS NOT NULL) AND service_day < ?1",
            params![ids_before],
        )?;
        tx.commit()?;
        Ok((phones, ids))
    }
}
