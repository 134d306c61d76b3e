//! Foundation tables: workspaces, users, memberships, invitations, auth tokens,
//! sessions, the email outbox, the job queue, the activity log and rate-limit hits.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Workspaces {
    Table,
    Id,
    Name,
    LogoContentType,
    Logo,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    EmailVerifiedAt,
    Timezone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    WorkspaceId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    WorkspaceId,
    Email,
    Role,
    TokenHash,
    InvitedByUserId,
    ExpiresAt,
    AcceptedAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuthTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    ExpiresAt,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    WorkspaceId,
    ToAddress,
    Subject,
    BodyText,
    BodyHtml,
    Kind,
    Status,
    LastError,
    Attempts,
    MessageId,
    CreatedAt,
    SentAt,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    WorkspaceId,
    Kind,
    Payload,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedUntil,
    LockedBy,
    LastError,
    IdempotencyKey,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    WorkspaceId,
    ActorUserId,
    ActorLabel,
    Action,
    TargetType,
    TargetId,
    Before,
    After,
    Ip,
    UserAgent,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiryDate,
}

#[derive(DeriveIden)]
enum RateLimitHits {
    Table,
    Id,
    Key,
    CreatedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Workspaces::Table)
                .col(pk_auto(Workspaces::Id))
                .col(string(Workspaces::Name))
                .col(string_null(Workspaces::LogoContentType))
                .col(blob_null(Workspaces::Logo))
                .col(timestamp_with_time_zone(Workspaces::CreatedAt))
                .col(timestamp_with_time_zone(Workspaces::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(pk_auto(Users::Id))
                .col(string_uniq(Users::Email))
                .col(string(Users::Name))
                .col(string(Users::PasswordHash))
                .col(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                .col(string_null(Users::Timezone))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(pk_auto(Memberships::Id))
                .col(integer(Memberships::WorkspaceId))
                .col(integer(Memberships::UserId))
                .col(string(Memberships::Role))
                .col(timestamp_with_time_zone(Memberships::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_memberships_workspace",
                    (Memberships::Table, Memberships::WorkspaceId),
                    (Workspaces::Table, Workspaces::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_memberships_user",
                    (Memberships::Table, Memberships::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_memberships_workspace_user")
                .table(Memberships::Table)
                .col(Memberships::WorkspaceId)
                .col(Memberships::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_memberships_user")
                .table(Memberships::Table)
                .col(Memberships::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(pk_auto(Invitations::Id))
                .col(integer(Invitations::WorkspaceId))
                .col(string(Invitations::Email))
                .col(string(Invitations::Role))
                .col(string_uniq(Invitations::TokenHash))
                .col(integer(Invitations::InvitedByUserId))
                .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                .col(timestamp_with_time_zone(Invitations::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_invitations_workspace",
                    (Invitations::Table, Invitations::WorkspaceId),
                    (Workspaces::Table, Workspaces::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_invitations_workspace")
                .table(Invitations::Table)
                .col(Invitations::WorkspaceId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthTokens::Table)
                .col(pk_auto(AuthTokens::Id))
                .col(integer(AuthTokens::UserId))
                .col(string(AuthTokens::Purpose))
                .col(string_uniq(AuthTokens::TokenHash))
                .col(timestamp_with_time_zone(AuthTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(AuthTokens::UsedAt))
                .col(timestamp_with_time_zone(AuthTokens::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_auth_tokens_user",
                    (AuthTokens::Table, AuthTokens::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Emails::Table)
                .col(pk_auto(Emails::Id))
                .col(integer_null(Emails::WorkspaceId))
                .col(string(Emails::ToAddress))
                .col(string(Emails::Subject))
                .col(text(Emails::BodyText))
                .col(text(Emails::BodyHtml))
                .col(string(Emails::Kind))
                .col(string(Emails::Status))
                .col(text_null(Emails::LastError))
                .col(integer(Emails::Attempts).default(0))
                .col(string(Emails::MessageId))
                .col(timestamp_with_time_zone(Emails::CreatedAt))
                .col(timestamp_with_time_zone_null(Emails::SentAt))
                .col(timestamp_with_time_zone_null(Emails::ArchivedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_emails_workspace_created")
                .table(Emails::Table)
                .col(Emails::WorkspaceId)
                .col(Emails::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(pk_auto(Jobs::Id))
                .col(integer_null(Jobs::WorkspaceId))
                .col(string(Jobs::Kind))
                .col(text(Jobs::Payload))
                .col(string(Jobs::Status))
                .col(integer(Jobs::Attempts).default(0))
                .col(integer(Jobs::MaxAttempts))
                .col(timestamp_with_time_zone(Jobs::RunAt))
                .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                .col(string_null(Jobs::LockedBy))
                .col(text_null(Jobs::LastError))
                .col(string_null(Jobs::IdempotencyKey).unique_key())
                .col(timestamp_with_time_zone(Jobs::CreatedAt))
                .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                .col(timestamp_with_time_zone_null(Jobs::FinishedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_jobs_status_run_at")
                .table(Jobs::Table)
                .col(Jobs::Status)
                .col(Jobs::RunAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Activities::Table)
                .col(pk_auto(Activities::Id))
                .col(integer(Activities::WorkspaceId))
                .col(integer_null(Activities::ActorUserId))
                .col(string(Activities::ActorLabel))
                .col(string(Activities::Action))
                .col(string_null(Activities::TargetType))
                .col(string_null(Activities::TargetId))
                .col(text_null(Activities::Before))
                .col(text_null(Activities::After))
                .col(string_null(Activities::Ip))
                .col(string_null(Activities::UserAgent))
                .col(timestamp_with_time_zone(Activities::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_activities_workspace",
                    (Activities::Table, Activities::WorkspaceId),
                    (Workspaces::Table, Workspaces::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_activities_workspace_created")
                .table(Activities::Table)
                .col(Activities::WorkspaceId)
                .col(Activities::CreatedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::Id).primary_key())
                .col(text(Sessions::Data))
                .col(timestamp_with_time_zone(Sessions::ExpiryDate))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_expiry")
                .table(Sessions::Table)
                .col(Sessions::ExpiryDate)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RateLimitHits::Table)
                .col(pk_auto(RateLimitHits::Id))
                .col(string(RateLimitHits::Key))
                .col(timestamp_with_time_zone(RateLimitHits::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_rate_limit_hits_key_created")
                .table(RateLimitHits::Table)
                .col(RateLimitHits::Key)
                .col(RateLimitHits::CreatedAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            RateLimitHits::Table.into_iden(),
            Sessions::Table.into_iden(),
            Activities::Table.into_iden(),
            Jobs::Table.into_iden(),
            Emails::Table.into_iden(),
            AuthTokens::Table.into_iden(),
            Invitations::Table.into_iden(),
            Memberships::Table.into_iden(),
            Users::Table.into_iden(),
            Workspaces::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
