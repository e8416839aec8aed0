//! The diesel schema, written once for both backends (only shared SQL types are used).

diesel::table! {
    apps (id) {
        id -> Text,
        name -> Text,
        app_key -> Text,
        master_secret_hash -> Text,
        registration_open -> Bool,
        user_limit -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        app_id -> Text,
        username -> Text,
        password_hash -> Text,
        nick_name -> Text,
        avatar -> Text,
        mobile -> Nullable<Text>,
        email -> Nullable<Text>,
        description -> Text,
        public_info -> Text,
        private_info -> Text,
        auth_mode -> BigInt,
        auth_question -> Text,
        auth_answer -> Text,
        auto_download -> Bool,
        group_confirm -> Bool,
        no_push -> Bool,
        no_push_detail -> Bool,
        no_push_start_hour -> BigInt,
        no_push_end_hour -> BigInt,
        silence_start_time -> BigInt,
        silence_end_time -> BigInt,
        no_sounds -> Bool,
        vibratory -> Bool,
        push_nick_name -> Text,
        banned -> Bool,
        push_alias -> Nullable<Text>,
        badge -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    user_details (user_id) {
        user_id -> BigInt,
        app_id -> Text,
        birthday -> Nullable<Text>,
        gender -> Nullable<BigInt>,
        signature -> Nullable<Text>,
        region -> Nullable<Text>,
        address -> Nullable<Text>,
        extras -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    devices (user_id, device_sn) {
        app_id -> Text,
        user_id -> BigInt,
        device_sn -> BigInt,
        device_guid -> Text,
        platform -> BigInt,
        user_agent -> Text,
        push_token -> Text,
        vendor_token -> Nullable<Text>,
        notifier_name -> Nullable<Text>,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    access_tokens (token_hash) {
        token_hash -> Text,
        app_id -> Text,
        user_id -> Nullable<BigInt>,
        device_sn -> BigInt,
        expires_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    user_push_tags (user_id, tag) {
        app_id -> Text,
        user_id -> BigInt,
        tag -> Text,
    }
}

diesel::table! {
    user_open_ids (app_id, kind, open_id) {
        app_id -> Text,
        kind -> Text,
        open_id -> Text,
        user_id -> BigInt,
    }
}

diesel::table! {
    roster_entries (owner_id, friend_id) {
        app_id -> Text,
        owner_id -> BigInt,
        friend_id -> BigInt,
        active -> Bool,
        alias -> Text,
        ext -> Text,
        mute_notification -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    roster_applications (applicant_id, target_id) {
        id -> BigInt,
        app_id -> Text,
        applicant_id -> BigInt,
        target_id -> BigInt,
        reason -> Text,
        alias -> Text,
        status -> BigInt,
        expires_at -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    roster_blocks (owner_id, blocked_id) {
        app_id -> Text,
        owner_id -> BigInt,
        blocked_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    chat_groups (id) {
        id -> BigInt,
        app_id -> Text,
        name -> Text,
        description -> Text,
        avatar -> Text,
        ext -> Text,
        kind -> BigInt,
        owner_id -> BigInt,
        member_invite -> Bool,
        apply_approval -> BigInt,
        read_ack -> Bool,
        history_visible -> Bool,
        member_modify -> Bool,
        ban_expire_time -> BigInt,
        destroyed -> Bool,
        capacity -> BigInt,
        qr_key -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    group_members (group_id, user_id) {
        app_id -> Text,
        group_id -> BigInt,
        user_id -> BigInt,
        role -> BigInt,
        display_name -> Text,
        joined_at -> BigInt,
        muted_until -> BigInt,
        msg_mute_mode -> BigInt,
        msg_push_mode -> BigInt,
    }
}

diesel::table! {
    group_kicks (group_id, user_id) {
        app_id -> Text,
        group_id -> BigInt,
        user_id -> BigInt,
        kicks -> BigInt,
    }
}

diesel::table! {
    group_blocks (group_id, user_id) {
        app_id -> Text,
        group_id -> BigInt,
        user_id -> BigInt,
        created_at -> BigInt,
    }
}

diesel::table! {
    group_invitations (group_id, invitee_id) {
        id -> BigInt,
        app_id -> Text,
        group_id -> BigInt,
        inviter_id -> BigInt,
        invitee_id -> BigInt,
        reason -> Text,
        status -> BigInt,
        expires_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    group_join_requests (group_id, applicant_id) {
        id -> BigInt,
        app_id -> Text,
        group_id -> BigInt,
        applicant_id -> BigInt,
        reason -> Text,
        status -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    group_announcements (id) {
        id -> BigInt,
        app_id -> Text,
        group_id -> BigInt,
        author_id -> BigInt,
        title -> Text,
        content -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    group_files (id) {
        id -> BigInt,
        app_id -> Text,
        group_id -> BigInt,
        uploader_id -> BigInt,
        name -> Text,
        size -> BigInt,
        kind -> Text,
        url -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        app_id -> Text,
        from_id -> BigInt,
        target_kind -> BigInt,
        target_id -> BigInt,
        content_type -> BigInt,
        content -> Text,
        attachment -> Text,
        config -> Text,
        ext -> Text,
        related_id -> BigInt,
        is_system -> Bool,
        recalled -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    user_positions (user_id) {
        user_id -> BigInt,
        app_id -> Text,
        last_position -> BigInt,
    }
}

diesel::table! {
    inbox (user_id, position) {
        app_id -> Text,
        user_id -> BigInt,
        position -> BigInt,
        message_id -> BigInt,
        conversation_id -> BigInt,
        counts -> Bool,
    }
}

diesel::table! {
    conversation_reads (user_id, conversation_id) {
        app_id -> Text,
        user_id -> BigInt,
        conversation_id -> BigInt,
        read_position -> BigInt,
    }
}

diesel::table! {
    message_dedup (app_id, sender_id, transaction_id) {
        app_id -> Text,
        sender_id -> BigInt,
        transaction_id -> BigInt,
        message_ids -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    message_callbacks (app_id) {
        app_id -> Text,
        url -> Text,
        secret -> Text,
    }
}

diesel::table! {
    webhook_outbox (message_id) {
        message_id -> BigInt,
        app_id -> Text,
        content -> Text,
        attachment -> Text,
        config -> Text,
        ext -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        failed -> Bool,
        last_error -> Text,
    }
}

diesel::table! {
    files (id) {
        id -> BigInt,
        app_id -> Text,
        sign -> Text,
        object -> Text,
        purpose -> BigInt,
        file_type -> BigInt,
        to_type -> BigInt,
        to_id -> BigInt,
        uploader -> BigInt,
        size -> BigInt,
        content_type -> Text,
        name -> Text,
        stored -> Bool,
        created_at -> BigInt,
    }
}

diesel::table! {
    file_deletions (id) {
        id -> BigInt,
        app_id -> Text,
        object -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        failed -> Bool,
        last_error -> Text,
    }
}

diesel::table! {
    server_keys (name) {
        name -> Text,
        secret -> Text,
    }
}

diesel::table! {
    push_tasks (id) {
        id -> BigInt,
        app_id -> Text,
        request_id -> Nullable<Text>,
        audience_kind -> Text,
        strategy -> Text,
        kind -> Text,
        title -> Text,
        body -> Text,
        big_text -> Text,
        attachment_url -> Text,
        badge -> Text,
        ext -> Text,
        show_begin -> Nullable<BigInt>,
        show_end -> Nullable<BigInt>,
        cursor_user -> Nullable<BigInt>,
        cursor_device -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    push_task_entries (task_id, position) {
        app_id -> Text,
        task_id -> BigInt,
        position -> BigInt,
        entry -> Text,
    }
}

diesel::table! {
    push_task_counts (task_id, channel) {
        app_id -> Text,
        task_id -> BigInt,
        channel -> Text,
        target -> BigInt,
        sent -> BigInt,
        received -> BigInt,
    }
}

diesel::table! {
    push_deliveries (id) {
        id -> BigInt,
        app_id -> Text,
        task_id -> BigInt,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        failed -> Bool,
        last_error -> Text,
    }
}

diesel::table! {
    message_pushes (id) {
        id -> BigInt,
        app_id -> Text,
        message_id -> BigInt,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        failed -> Bool,
        last_error -> Text,
    }
}

diesel::table! {
    push_retries (id) {
        id -> BigInt,
        app_id -> Text,
        task_id -> BigInt,
        message_id -> BigInt,
        user_id -> BigInt,
        device_sn -> BigInt,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        failed -> Bool,
        last_error -> Text,
    }
}

diesel::table! {
    push_credentials (app_id, provider) {
        app_id -> Text,
        provider -> Text,
        name -> Text,
        public_app_id -> Text,
        public_app_key -> Text,
        settings -> Text,
        secret -> Text,
        updated_at -> BigInt,
    }
}

diesel::joinable!(group_members -> chat_groups (group_id));
diesel::joinable!(inbox -> messages (message_id));
diesel::joinable!(devices -> users (user_id));
diesel::joinable!(user_details -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    apps,
    users,
    user_details,
    devices,
    access_tokens,
    user_push_tags,
    user_open_ids,
    roster_entries,
    roster_applications,
    roster_blocks,
    chat_groups,
    group_members,
    group_kicks,
    group_blocks,
    group_invitations,
    group_join_requests,
    group_announcements,
    group_files,
    messages,
    user_positions,
    inbox,
    conversation_reads,
    message_dedup,
    message_callbacks,
    webhook_outbox,
    files,
    file_deletions,
    server_keys,
    push_tasks,
    push_task_entries,
    push_task_counts,
    push_deliveries,
    push_credentials,
    push_retries,
    message_pushes,
);
