//! The one integration test binary: the real app, built by `build_app`, on a fresh database
//! per test (SQLite by default; PostgreSQL when TEST_DATABASE_URL is set).

mod support;

mod audit;
mod auth;
mod backups;
mod booking_requests;
mod browser;
mod calendar;
mod calendar_files;
mod cli;
mod clients;
mod documents;
mod edits;
mod families;
mod good_faith;
mod households;
mod import_details;
mod import_review;
mod imports;
mod instances;
mod isolation;
mod measures;
mod migrations;
mod onboarding;
mod pages;
mod pricing;
mod recovery;
mod session_changes;
mod sessions;
mod simplepractice;
mod smtp;
mod time_passes;
mod time_zones;
mod trust;
