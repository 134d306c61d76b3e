//! `switchboard backup` / `restore` (SPEC C17): the demo workspace with an
//! attachment is backed up while the app is open, restored into a fresh
//! database and data folder, and every table's row count and every
//! attachment's hash are the same; a damaged backup, a non-empty target and a
//! backup of the other backend are refused.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use app::services::inbox::attachments;
use app::services::tenancy::{Scoped, System};
use common::{drop_database, fresh_database, Backend, TestApp};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use switchboard_server::backup::{self, table_counts};

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("sbt-{name}-{}", uuid::Uuid::new_v4().simple()))
}

/// SHA-256 of every attachment file, by its path under `attachments/`.
fn attachment_hashes(data_dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let root = data_dir.join("attachments");
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.insert(
                    p.strip_prefix(&root)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                    hex::encode(Sha256::digest(&bytes)),
                );
            }
        }
    }
    out
}

async fn backup_and_restore_round_trip(b: Backend) {
    let app = TestApp::new(b).await;
    switchboard_server::seed::seed(&app.state).await.unwrap();
    // Two attachments on the first conversation, written as the widget would.
    let conv = System::new("the test picks any conversation")
        .find::<entity::conversation::Entity>()
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the demo has conversations");
    let scope = Scoped::new(conv.workspace_id);
    for (name, bytes) in [
        ("receipt.txt", b"Order #1042, paid".as_slice()),
        ("photo.bin", &[0u8, 159, 146, 150, 255][..]),
    ] {
        attachments::store_inbound(
            &app.state.db,
            &app.state,
            scope,
            conv.id,
            name,
            "application/octet-stream",
            bytes,
        )
        .await
        .unwrap();
    }
    let source_data = PathBuf::from(&app.state.config.data_dir);
    let before_files = attachment_hashes(&source_data);
    assert_eq!(before_files.len(), 2, "{before_files:?}");
    let before_rows = table_counts(&app.state.db).await.unwrap();
    assert!(before_rows["conversations"] > 0 && before_rows["messages"] > 0);
    assert_eq!(before_rows["attachments"], 2);

    let folder = temp("backup");
    // The app's own connection stays open: the backup is taken online.
    let manifest = backup::backup(&app.state.config, &folder).await.unwrap();
    assert_eq!(
        manifest.tables, before_rows,
        "the manifest counts what was copied"
    );
    assert_eq!(manifest.files.len(), before_files.len());
    assert_eq!(
        manifest.migrations.len(),
        <migration::Migrator as migration::MigratorTrait>::migrations().len()
    );

    // A second backup into the same folder is refused, not mixed in.
    let again = backup::backup(&app.state.config, &folder).await;
    assert!(again.unwrap_err().to_string().contains("is not empty"));

    // Restore into a fresh database and data folder.
    let (url, pg) = fresh_database(b).await;
    let mut cfg = (*app.state.config).clone();
    cfg.database_url = url.clone();
    cfg.data_dir = temp("restored").to_string_lossy().into_owned();
    backup::restore(&cfg, &folder, false).await.unwrap();
    let restored = switchboard_server::db::connect(&url, None).await.unwrap();
    assert_eq!(table_counts(&restored).await.unwrap(), before_rows);
    restored.close().await.ok();
    assert_eq!(
        attachment_hashes(Path::new(&cfg.data_dir)),
        before_files,
        "every attachment comes back byte for byte"
    );
    // The restored database serves: the app starts on it and finds the demo.
    let db = switchboard_server::db::connect_and_migrate(&url, std::time::Duration::ZERO)
        .await
        .unwrap();
    let ws = System::new("the test counts workspaces")
        .find::<entity::workspace::Entity>()
        .all(&db)
        .await
        .unwrap();
    assert_eq!(ws.len(), 1);
    db.close().await.ok();

    // Restoring over a database that holds workspaces needs --force.
    let err = backup::restore(&cfg, &folder, false).await.unwrap_err();
    assert!(err.to_string().contains("--force"), "{err}");
    backup::restore(&cfg, &folder, true).await.unwrap();

    // A damaged backup is refused before anything is written.
    let (other_url, other_pg) = fresh_database(b).await;
    let mut damaged_cfg = cfg.clone();
    damaged_cfg.database_url = other_url.clone();
    let file = folder
        .join("files")
        .join(manifest.files.keys().next().unwrap());
    std::fs::write(&file, b"tampered").unwrap();
    let err = backup::restore(&damaged_cfg, &folder, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("damaged"), "{err}");

    // A backup of the other backend is refused with what to do.
    let mut other_backend = cfg.clone();
    other_backend.database_url = match b {
        Backend::Sqlite => "postgres://postgres@127.0.0.1:5432/none".into(),
        Backend::Postgres => "sqlite://none.db?mode=rwc".into(),
    };
    let mut manifest_only = manifest.clone();
    manifest_only.files.clear();
    let clean = temp("other");
    std::fs::create_dir_all(&clean).unwrap();
    std::fs::copy(
        folder.join(&manifest.database_file),
        clean.join(&manifest.database_file),
    )
    .unwrap();
    std::fs::write(
        clean.join(backup::MANIFEST),
        serde_json::to_vec(&manifest_only).unwrap(),
    )
    .unwrap();
    let err = backup::restore(&other_backend, &clean, false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("restore it into a"), "{err}");

    for p in [folder, clean, PathBuf::from(&cfg.data_dir)] {
        let _ = std::fs::remove_dir_all(p);
    }
    for name in [pg, other_pg].into_iter().flatten() {
        drop_database(&name).await;
    }
    let _ = other_url;
    app.finish().await;
}

backend_tests!(backup_and_restore_round_trip);
