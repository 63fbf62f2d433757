//! Which service days `hallq simulate` lived in a database, and which days hold real tickets:
//! what keeps a simulation out of a real hall's numbering and reports.

use std::collections::BTreeSet;

use rusqlite::params;

use super::{Result, Store};

impl Store {
    /// Record `day` as lived by the simulator.
    pub fn mark_simulated(&mut self, day: &str, seed: u64, now_ms: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO simulated_days(day, seed, created_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(day) DO UPDATE SET seed = excluded.seed, created_ms = excluded.created_ms",
            params![day, seed as i64, now_ms],
        )?;
        Ok(())
    }

    /// Service days that hold tickets, each with whether the simulator lived it.
    pub fn ticket_days(&self) -> Result<Vec<(String, bool)>> {
        let mut stmt = self.conn.prepare(
            "SELECT DISTINCT t.service_day, s.day IS NOT NULL
             FROM tickets t LEFT JOIN simulated_days s ON s.day = t.service_day
             ORDER BY t.service_day",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The days `hallq simulate` lived in this database.
    pub fn simulated_days(&self) -> Result<BTreeSet<String>> {
        let mut stmt = self.conn.prepare("SELECT day FROM simulated_days")?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<BTreeSet<String>>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_days_tell_simulated_from_real() {
        let dir = tempfile::tempdir().expect("dir");
        let mut store = Store::open(&dir.path().join("h.db")).expect("open");
        store
            .conn
            .execute_batch(
                "INSERT INTO tickets(id, token, service_day, queue, original_queue, seq_no, number,
                     priority, state, issued_at_ms, queue_key, issued_by)
                 VALUES (1, 'a', '2026-11-30', 'xf', 'xf', 1, 'XF001', 'normal', 'done', 0, 0, 'test'),
                        (2, 'b', '2026-12-01', 'xf', 'xf', 1, 'XF001', 'normal', 'done', 0, 0, 'test');",
            )
            .expect("tickets");
        store.mark_simulated("2026-11-30", 7, 0).expect("mark");
        assert_eq!(
            store.ticket_days().expect("days"),
            [
                ("2026-11-30".to_string(), true),
                ("2026-12-01".to_string(), false)
            ]
        );
        assert_eq!(
            store
                .simulated_days()
                .expect("days")
                .into_iter()
                .collect::<Vec<_>>(),
            ["2026-11-30"]
        );
    }
}
