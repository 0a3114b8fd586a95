//! Pricing: Settings → Rates (the practice's rates and each insurance company's allowed
//! amounts), and a client's plan and estimate on their Billing tab.

mod good_faith;
mod plan;
mod practice;
mod rates;

pub use good_faith::{EstimateRow, GoodFaithSection};
pub use plan::{client_rows, parse_plan, PlanInput, PricingView, ServiceRow, MONTHS};

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/settings/rates", web::get().to(rates::show_rates))
        .route("/settings/rates", web::post().to(rates::save_rates))
        .route("/clients/{id}/plan", web::post().to(plan::save_plan))
        .route("/settings/practice", web::get().to(practice::show_practice))
        .route(
            "/settings/practice",
            web::post().to(practice::save_practice),
        )
        .route("/clients/{id}/estimates", web::post().to(good_faith::issue))
        .route(
            "/clients/{id}/estimates/{estimate}",
            web::get().to(good_faith::show),
        )
        .route(
            "/portal/estimates/{id}.pdf",
            web::get().to(good_faith::portal_pdf),
        )
        .route(
            "/portal/estimates/{id}",
            web::get().to(good_faith::portal_show),
        )
        .route(
            "/portal/estimates/request",
            web::post().to(good_faith::portal_request),
        )
        .route(
            "/portal/estimates/{id}/acknowledge",
            web::post().to(good_faith::portal_acknowledge),
        );
}

/// The largest amount the forms take ($10,000.00).
const MAX_CENTS: i32 = 1_000_000;
