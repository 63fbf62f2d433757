//! The screens in real headless Chromium (Debian's chromium + chromium-driver), driven by
//! fantoccini against a real server on port 0.

/// The same real-server harness as the API tests.
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod hall;
mod helpers;
/// A private PostgreSQL, as the API tests start it.
#[path = "../api/pg.rs"]
#[allow(dead_code)]
mod pg;

mod appeals;
mod appointments;
mod bookings;
mod central;
mod clerk_card;
mod console;
mod desk;
mod display;
mod evaluator;
mod floor_wall;
mod kiosk;
mod phone;
mod quality;
mod reports;
mod return_visit;
mod screens;
mod smoke;
mod walls;
