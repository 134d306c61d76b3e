//! A tower-sessions store on the application database (SeaORM), so sessions work
//! across instances and survive restarts without a second database driver.

use app::services::tenancy::{global, global_delete};
use async_trait::async_trait;
use entity::session;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};
use tower_sessions::SessionStore;

/// Sessions in the `sessions` table.
#[derive(Clone, Debug)]
pub struct SeaOrmStore {
    db: DatabaseConnection,
}

impl SeaOrmStore {
    /// A store on `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }
}

fn to_chrono(t: time::OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

fn row(record: &Record) -> Result<session::ActiveModel> {
    Ok(session::ActiveModel {
        id: Set(record.id.to_string()),
        data: Set(serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?),
        expiry_date: Set(to_chrono(record.expiry_date)),
        user_id: Set(record
            .data
            .get(app::serverfns::edge::USER_ID)
            .and_then(serde_json::Value::as_i64)
            .and_then(|v| i32::try_from(v).ok())),
    })
}

#[async_trait]
impl SessionStore for SeaOrmStore {
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            match session::Entity::insert(row(record)?)
                .on_conflict(
                    OnConflict::column(session::Column::Id)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
            {
                Ok(1) => return Ok(()),
                // An id collision: pick another.
                Ok(_) => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save(&self, record: &Record) -> Result<()> {
        session::Entity::insert(row(record)?)
            .on_conflict(
                OnConflict::column(session::Column::Id)
                    .update_columns([
                        session::Column::Data,
                        session::Column::ExpiryDate,
                        session::Column::UserId,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let found = global::<session::Entity>()
            .filter(session::Column::Id.eq(id.to_string()))
            .filter(session::Column::ExpiryDate.gt(chrono::Utc::now()))
            .one(&self.db)
            .await
            .map_err(backend)?;
        let Some(s) = found else { return Ok(None) };
        let data = serde_json::from_str(&s.data).map_err(|e| Error::Decode(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(s.expiry_date.timestamp())
            .map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        global_delete::<session::Entity>()
            .filter(session::Column::Id.eq(id.to_string()))
            .exec(&self.db)
            .await
            .map(|_| ())
            .map_err(backend)
    }
}
