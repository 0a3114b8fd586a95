//! Pricing: Settings → Rates (the practice's rates and each insurance company's allowed
//! amounts), and a client's plan and estimate on their Billing tab.

mod plan;
mod rates;

pub use plan::{client_rows, PlanInput, PricingView, ServiceRow};

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/rates", web::get().to(rates::show_rates))
        .route("/settings/rates", web::post().to(rates::save_rates))
        .route("/clients/{id}/plan", web::post().to(plan::save_plan));
}

/// The largest amount the forms take ($10,000.00).
const MAX_CENTS: i32 = 1_000_000;
