//! API and websocket integration tests against a real server on port 0.

mod helpers;

mod accounts;
mod appointments;
mod audience;
mod central;
mod cli;
mod days;
mod deploy;
mod desk;
mod durability;
mod errors;
mod events;
mod fanout;
mod floor_wall;
mod hardening;
mod limits;
mod loopback;
mod notify;
mod openapi;
mod ops;
mod pg;
mod printing;
mod ratings;
mod read_model;
mod reports;
mod retention;
mod security;
mod sim;
mod tickets;
mod upgrade;
mod voice;
mod windows;
