//! Integration tests: every endpoint against DynamoDB Local, each test on its own tables.

mod auth;
mod bad_input;
mod bounded_reads;
mod catalog;
mod catalog_writes;
mod contract;
mod existing_rows;
mod expiry;
mod finishing;
mod idempotency;
mod ledger;
mod legacy_rows;
mod listing;
mod load;
mod local_run;
mod locations;
mod model;
mod orders;
mod reservation_bad_input;
mod reservation_listing;
mod reserving;
mod stock;
mod views;
