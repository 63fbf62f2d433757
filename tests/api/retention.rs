//! `[retention]`: at a change of day the engine clears personal data past its time, and keeps
//! every statistic.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn personal_data_is_cleared_at_the_day_change_past_its_time() {
    let config = shipped_config().replace("phone_days = 30\n", "phone_days = 0\n");
    assert!(
        config.contains("phone_days = 0"),
        "the shipped file sets [retention]"
    );
    let hall = TestHall::spawn_with(&config).await;
    let t = hall
        .issue_with(json!({"queue": "qydj", "phone": "13800138000"}))
        .await;
    let read = |db: &std::path::Path| {
        let c = rusqlite::Connection::open(db).expect("db");
        c.query_row(
            "SELECT phone, number, queue, state FROM tickets WHERE number = ?1",
            [t["number"].as_str().expect("number")],
            |r| {
                Ok((
                    r.get::<_, Option<String>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )
        .expect("the ticket's row")
    };
    let sealed = read(&hall.db).0.expect("kept while the visit lasts");
    assert!(
        sealed.starts_with("s1:") && !sealed.contains("13800138000"),
        "kept sealed: {sealed}"
    );
    // The next day: the phone goes, the ticket's statistics stay.
    hall.set_clock(tomorrow_at(10, 0) + jiff::SignedDuration::from_hours(24))
        .await;
    hall.issue("hj").await;
    let (phone, number, queue, state) = read(&hall.db);
    assert_eq!(phone, None, "cleared past [retention] phone_days");
    assert_eq!(
        (number.as_str(), queue.as_str()),
        (t["number"].as_str().expect("n"), "qydj")
    );
    assert_eq!(state, "abandoned");
}
