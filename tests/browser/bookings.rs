//! 今日预约 on the staff pages in Chromium: the help desk finds a booking by its code and checks
//! the citizen in on its printer; the clerk console of a window serving the queue lists the
//! day's bookings by slot with their states (待签到, 已签到 with the ticket's number), and the
//! live floor counts them per queue. Each page at its working size, nothing cut.

use hallq::printer::fake::{FakePrinter, Script};

use crate::appointments::book;
use crate::hall::{PASSWORD, TestHall, every_day_config, with_printer};
use crate::helpers::Browser;
use crate::kiosk::check_layout;

#[tokio::test]
async fn bookings_are_checked_in_at_the_desk_and_listed_in_the_console_and_on_the_floor() {
    let fake = FakePrinter::start(Script::Online)
        .await
        .expect("fake printer");
    let hall = TestHall::spawn_with(&with_printer(every_day_config(), &fake.address())).await;
    let first = book(&hall, "10:30", 1).await;
    book(&hall, "10:30", 2).await;
    book(&hall, "11:00", 3).await;
    let code = first["code"].as_str().expect("code").to_string();

    // The desk: find by code, check in, the row turns 已签到 with the ticket's number.
    let desk = Browser::start(1280, 800).await;
    desk.log_in_at(&format!("{}/staff/desk", hall.base), "clerk2", PASSWORD)
        .await;
    desk.wait_for(
        "document.querySelector('#desk-printer')?.value === 'p1'",
        10,
    )
    .await;
    desk.type_into("#desk-aq", &code).await;
    desk.click("#desk-find-booking").await;
    desk.wait_for(
        "document.querySelector('#desk-bookings tr[data-state=booked]')",
        5,
    )
    .await;
    desk.click("#desk-check-in").await;
    let number = desk
        .wait_for(
            "document.querySelector('#desk-bookings tr[data-state=checked_in] td:nth-child(5)')?.textContent",
            5,
        )
        .await;
    let number = number.as_str().expect("a number").to_string();
    let msg = desk
        .wait_for("document.querySelector('#desk-msg')?.textContent", 5)
        .await;
    assert!(
        msg.as_str()
            .is_some_and(|m| m.contains(&number) && m.contains("已在打印机 p1 打印")),
        "{msg}"
    );
    check_layout(&desk, "bookings-desk-checked-in", ".desk").await;
    desk.close().await;

    // The console at window 12 (出入境): three bookings by slot, one checked in.
    let b = Browser::start(1366, 768).await;
    b.log_in_at(&format!("{}/staff/", hall.base), "clerk1", PASSWORD)
        .await;
    b.click("#console-pick-12").await;
    b.wait_for(
        "document.querySelector('#console-bookings')?.dataset.count === '3'",
        10,
    )
    .await;
    let states = b
        .wait_for(
            "[...document.querySelectorAll('#console-bookings tr[data-booking]')].map(r => r.dataset.state + ' ' + r.lastElementChild.textContent).join(',')",
            5,
        )
        .await;
    assert_eq!(
        states.as_str(),
        Some(format!("checked_in {number},booked ,booked ").as_str()),
        "{states}"
    );
    let slots = b
        .wait_for(
            "[...document.querySelectorAll('#console-bookings .bookings-slot')].map(r => r.textContent).join(',')",
            5,
        )
        .await;
    assert_eq!(slots.as_str(), Some("10:30–11:00,11:00–11:30"), "{slots}");
    check_layout(&b, "bookings-console", ".console").await;
    b.close().await;

    // The floor: one row for 出入境 with its counts.
    let f = Browser::start(1920, 1080).await;
    f.log_in_at(&format!("{}/staff/floor", hall.base), "manager", PASSWORD)
        .await;
    let row = f
        .wait_for(
            "[...document.querySelectorAll('#floor-bookings tr[data-queue=crj] td')].map(c => c.textContent).join('|')",
            10,
        )
        .await;
    assert_eq!(
        row.as_str(),
        Some("出入境证件|3|2|1|0|0|10:30–11:00"),
        "{row}"
    );
    f.screenshot("bookings-floor").await;
    f.close().await;
}
