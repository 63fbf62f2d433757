//! Day changes over the API (issue 13, part 3): a server restarted on `--simulated-clock`
//! and moved into a day the database already holds continues that day's numbering.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn restart_on_a_simulated_clock_into_a_stored_day_continues_its_numbering() {
    let dir = tempfile::tempdir().expect("dir");
    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    hall.set_clock(tomorrow_at(10, 0)).await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        numbers.push(hall.issue("xf").await["number"].clone());
    }
    hall.stop().await;
    // The new server starts today (real time); `_clock` then moves it into the stored day,
    // and the tick that route sends rolls the day before the next ticket arrives.
    let hall = TestHall::spawn_simulated_on(dir.path()).await;
    hall.set_clock(tomorrow_at(10, 5)).await;
    for _ in 0..2 {
        let (status, body) = hall
            .post("/api/v1/tickets", Some(KIOSK), json!({"queue": "xf"}))
            .await;
        assert_eq!(status.as_u16(), 201, "{body}");
        numbers.push(body["number"].clone());
    }
    assert_eq!(
        numbers,
        ["XF001", "XF002", "XF003", "XF004", "XF005"].map(|n| json!(n))
    );
}
