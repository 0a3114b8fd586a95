// Written by hand to match migrations/sqlite and migrations/postgres, which must agree.

diesel::table! {
    providers (id) {
        id -> Text,
        first_name -> Text,
        last_name -> Text,
        email -> Text,
        email_normalized -> Text,
        password_hash -> Text,
        practice_name -> Nullable<Text>,
        booking_token -> Nullable<Text>,
        created_at -> Timestamp,
        time_zone -> Text,
        cancellation_policy -> Text,
        reminder_hours -> Integer,
        cancellation_fee_cents -> Integer,
        video_link -> Nullable<Text>,
        office_address -> Nullable<Text>,
        booking_notice_hours -> Integer,
        booking_service_id -> Nullable<Text>,
        npi -> Nullable<Text>,
        tin -> Nullable<Text>,
        billing_address -> Nullable<Text>,
        pcl5_probable_from -> Integer,
        signup_measures -> Text,
        email_booking_requests -> Bool,
        clock_hours -> Integer,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        provider_id -> Text,
        first_name -> Text,
        last_name -> Text,
        email -> Text,
        email_normalized -> Text,
        phone -> Nullable<Text>,
        phone_e164 -> Nullable<Text>,
        phone_digits -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        billing_type -> Text,
        insurance_company -> Nullable<Text>,
        insurance_member_id -> Nullable<Text>,
        telehealth_state -> Nullable<Text>,
        notify_requested -> Bool,
        invited_at -> Nullable<Timestamp>,
        account_verified_at -> Nullable<Timestamp>,
        insurance_added_at -> Nullable<Timestamp>,
        insurance_verified_at -> Nullable<Timestamp>,
        payment_method_added_at -> Nullable<Timestamp>,
        forms_acknowledged_at -> Nullable<Timestamp>,
        archived_at -> Nullable<Timestamp>,
        insurance_holder_name -> Nullable<Text>,
        insurance_issue -> Nullable<Text>,
        insurance_issue_at -> Nullable<Timestamp>,
        search_name -> Text,
        sort_name -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        list_state -> Text,
        version -> BigInt,
        risk_alert_since -> Nullable<Timestamp>,
        minor -> Bool,
        insurance_holder_dob -> Nullable<Date>,
        preferred_name -> Nullable<Text>,
    }
}

diesel::table! {
    client_list_counts (provider_id, list_state) {
        provider_id -> Text,
        list_state -> Text,
        clients -> BigInt,
    }
}

diesel::table! {
    blobs (sha256) {
        sha256 -> Text,
        size_bytes -> BigInt,
        content -> Binary,
    }
}

diesel::table! {
    documents (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        kind -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        document_date -> Nullable<Date>,
        created_at -> Timestamp,
        kind_detail -> Nullable<Text>,
        imported_from -> Nullable<Text>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Nullable<Text>,
        action -> Text,
        subject -> Nullable<Text>,
        ip -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    failed_logins (id) {
        id -> Text,
        email_normalized -> Text,
        attempted_at -> Timestamp,
        ip -> Text,
        purpose -> Text,
    }
}

diesel::table! {
    client_invitations (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        token_hash -> Text,
        reminder_token_hash -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        recipient_email -> Nullable<Text>,
        recipient_name -> Nullable<Text>,
    }
}

diesel::table! {
    outbox_emails (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Nullable<Text>,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        action_url -> Nullable<Text>,
        status -> Text,
        attempts -> Integer,
        send_after -> Timestamp,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        calendar_ics -> Nullable<Text>,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    email_attempts (id) {
        id -> Text,
        email_id -> Text,
        attempted_at -> Timestamp,
        succeeded -> Bool,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    practice_forms (id) {
        id -> Text,
        provider_id -> Text,
        kind -> Text,
        version -> Integer,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    form_acknowledgments (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        form_id -> Text,
        typed_name -> Text,
        ip -> Nullable<Text>,
        acknowledged_at -> Timestamp,
        acknowledged_by -> Nullable<Text>,
    }
}

diesel::table! {
    payment_methods (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        kind -> Text,
        brand -> Text,
        last4 -> Text,
        exp_month -> Integer,
        exp_year -> Integer,
        added_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    booking_requests (id) {
        id -> Text,
        provider_id -> Text,
        ip -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    booking_confirmations (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        token_hash -> Text,
        typed_name -> Text,
        service_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        location -> Nullable<Text>,
        ip -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        confirmed_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(clients -> providers (provider_id));
diesel::joinable!(form_acknowledgments -> practice_forms (form_id));
diesel::joinable!(documents -> clients (client_id));
diesel::joinable!(audit_events -> providers (provider_id));

diesel::allow_tables_to_appear_in_same_query!(
    providers,
    clients,
    client_list_counts,
    measure_schedules,
    assessment_links,
    assessments,
    risk_alerts,
    blobs,
    documents,
    audit_events,
    failed_logins,
    client_invitations,
    outbox_emails,
    email_attempts,
    practice_forms,
    form_acknowledgments,
    payment_methods,
    booking_requests,
);

diesel::table! {
    import_batches (id) {
        id -> Text,
        provider_id -> Text,
        file_name -> Text,
        origin -> Text,
        status -> Text,
        format -> Nullable<Text>,
        layout -> Nullable<Text>,
        sheet -> Nullable<Text>,
        column_choice -> Nullable<Text>,
        progress_label -> Nullable<Text>,
        progress_done -> BigInt,
        progress_total -> BigInt,
        error -> Nullable<Text>,
        details -> Nullable<Text>,
        rows_total -> BigInt,
        rows_new -> BigInt,
        rows_existing -> BigInt,
        rows_needs_review -> BigInt,
        rows_invalid -> BigInt,
        rows_duplicate -> BigInt,
        rows_selected -> BigInt,
        rows_linked -> BigInt,
        imported_count -> BigInt,
        linked_count -> BigInt,
        documents_count -> BigInt,
        clients_with_documents -> BigInt,
        skipped_count -> BigInt,
        invited -> Bool,
        outcome -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        imported_at -> Nullable<Timestamp>,
        analysis_due_at -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        analysis_attempts -> Integer,
    }
}

diesel::table! {
    import_rows (batch_id, position) {
        batch_id -> Text,
        position -> BigInt,
        source_row -> BigInt,
        source -> Nullable<Text>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        date_of_birth -> Nullable<Date>,
        status -> Text,
        reasons -> Text,
        matched_client_id -> Nullable<Text>,
        selected -> Bool,
        linked_client_id -> Nullable<Text>,
        display_name -> Nullable<Text>,
        external_id -> Nullable<Text>,
        documents -> Nullable<Text>,
        takes_documents -> Bool,
        shares_folder -> Bool,
        household -> Nullable<Text>,
        evidence -> Nullable<Text>,
        preferred_name -> Nullable<Text>,
        billing_type -> Nullable<Text>,
        archived -> Bool,
    }
}

diesel::joinable!(import_rows -> import_batches (batch_id));
diesel::allow_tables_to_appear_in_same_query!(import_batches, import_rows);

diesel::table! {
    sign_in_sessions (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        account_id -> Nullable<Text>,
    }
}

diesel::joinable!(sign_in_sessions -> providers (provider_id));
diesel::allow_tables_to_appear_in_same_query!(sign_in_sessions, providers);

diesel::table! {
    services (id) {
        id -> Text,
        provider_id -> Text,
        name -> Text,
        cpt_code -> Text,
        minutes -> Integer,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        rate_cents -> Nullable<Integer>,
        rate_updated_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    working_hours (provider_id, weekday) {
        provider_id -> Text,
        weekday -> Integer,
        starts -> Text,
        ends -> Text,
    }
}

diesel::table! {
    appointment_series (id) {
        id -> Text,
        provider_id -> Text,
        frequency -> Text,
        ends_after -> Nullable<Integer>,
        ends_on -> Nullable<Date>,
        local_time -> Text,
        time_zone -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    appointments (id) {
        id -> Text,
        provider_id -> Text,
        kind -> Text,
        client_id -> Nullable<Text>,
        service_id -> Nullable<Text>,
        series_id -> Nullable<Text>,
        series_index -> Nullable<Integer>,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        status -> Text,
        location -> Nullable<Text>,
        note -> Nullable<Text>,
        contact_name -> Nullable<Text>,
        contact_phone -> Nullable<Text>,
        cancel_reason -> Nullable<Text>,
        cancelled_by -> Nullable<Text>,
        cpt_code -> Nullable<Text>,
        diagnosis_codes -> Nullable<Text>,
        actual_start -> Nullable<Timestamp>,
        actual_end -> Nullable<Timestamp>,
        confirmed_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        fee_cents -> Nullable<Integer>,
        reminder_queued_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(appointments -> clients (client_id));
diesel::joinable!(appointments -> services (service_id));
diesel::allow_tables_to_appear_in_same_query!(appointments, clients, services, appointment_series);
diesel::allow_tables_to_appear_in_same_query!(appointments, providers);

diesel::table! {
    calendar_feeds (provider_id) {
        provider_id -> Text,
        token -> Text,
        full_names -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payer_rates (provider_id, payer_key, cpt_code) {
        provider_id -> Text,
        payer_key -> Text,
        payer_name -> Text,
        cpt_code -> Text,
        allowed_cents -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    client_plans (client_id) {
        client_id -> Text,
        provider_id -> Text,
        copay_cents -> Nullable<Integer>,
        coinsurance_pct -> Nullable<Integer>,
        deductible_cents -> Nullable<Integer>,
        deductible_met_cents -> Nullable<Integer>,
        oop_max_cents -> Nullable<Integer>,
        oop_met_cents -> Nullable<Integer>,
        plan_year_month -> Integer,
        plan_year_day -> Integer,
        in_network -> Bool,
        reduced_rate_cents -> Nullable<Integer>,
        reduced_rate_reason -> Nullable<Text>,
        entered_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    good_faith_estimates (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        document_id -> Text,
        issued_at -> Timestamp,
        covers_from -> Date,
        covers_until -> Date,
        frequency -> Text,
        total_cents -> BigInt,
        sheet -> Text,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_ip -> Nullable<Text>,
    }
}

diesel::table! {
    good_faith_requests (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        requested_at -> Timestamp,
    }
}

diesel::table! {
    measure_schedules (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        instrument -> Text,
        frequency -> Text,
        next_send_on -> Nullable<Date>,
        paused_at -> Nullable<Timestamp>,
        stopped_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    assessment_links (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        token_hash -> Text,
        reminder_token_hash -> Nullable<Text>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        reminded_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    assessments (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        instrument -> Text,
        schedule_id -> Nullable<Text>,
        link_id -> Nullable<Text>,
        appointment_id -> Nullable<Text>,
        answers -> Text,
        difficulty -> Nullable<Integer>,
        created_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
        expired_at -> Nullable<Timestamp>,
        entered_by -> Nullable<Text>,
        total -> Nullable<Integer>,
    }
}

diesel::table! {
    risk_alerts (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        assessment_id -> Text,
        raised_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    portal_accounts (id) {
        id -> Text,
        provider_id -> Text,
        email -> Text,
        email_normalized -> Text,
        name -> Text,
        password_hash -> Nullable<Text>,
        verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    client_contacts (id) {
        id -> Text,
        provider_id -> Text,
        client_id -> Text,
        name -> Text,
        relationship -> Text,
        email -> Nullable<Text>,
        email_normalized -> Nullable<Text>,
        phone -> Nullable<Text>,
        receives_emails -> Bool,
        acts_for -> Bool,
        created_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    password_resets (id) {
        id -> Text,
        provider_id -> Text,
        account_id -> Nullable<Text>,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(client_contacts, clients);
diesel::allow_tables_to_appear_in_same_query!(portal_accounts, providers);

diesel::table! {
    import_uploads (batch_id, part) {
        batch_id -> Text,
        part -> Integer,
        bytes -> Binary,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_started_at -> Nullable<Timestamp>,
        last_finished_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    server_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    backups (id) {
        id -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        trigger -> Text,
        file -> Text,
        size_bytes -> Nullable<BigInt>,
        error -> Nullable<Text>,
        taken_by -> Text,
    }
}
