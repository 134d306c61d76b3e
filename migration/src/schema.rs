//! Table-building helpers shared by the migrations (the same definitions for
//! SQLite and PostgreSQL).

use sea_orm_migration::prelude::*;

/// A table or column name.
pub fn a(s: &str) -> Alias {
    Alias::new(s)
}

/// A column definition builder with the common shapes.
pub enum C<'a> {
    /// Integer, not null.
    Int(&'a str),
    /// Integer, nullable.
    IntNull(&'a str),
    /// String, not null.
    Str(&'a str),
    /// String, nullable.
    StrNull(&'a str),
    /// Text, not null.
    Text(&'a str),
    /// Text, nullable.
    TextNull(&'a str),
    /// Boolean, not null.
    Bool(&'a str),
    /// Timestamp with time zone, not null.
    Time(&'a str),
    /// Timestamp with time zone, nullable.
    TimeNull(&'a str),
    /// 64-bit integer, not null.
    BigInt(&'a str),
}

/// The column definition of a [`C`].
pub fn col(c: &C<'_>) -> ColumnDef {
    let mut d = match c {
        C::Int(n) | C::IntNull(n) => ColumnDef::new(a(n)).integer().to_owned(),
        C::BigInt(n) => ColumnDef::new(a(n)).big_integer().to_owned(),
        C::Str(n) | C::StrNull(n) => ColumnDef::new(a(n)).string().to_owned(),
        C::Text(n) | C::TextNull(n) => ColumnDef::new(a(n)).text().to_owned(),
        C::Bool(n) => ColumnDef::new(a(n)).boolean().to_owned(),
        C::Time(n) | C::TimeNull(n) => ColumnDef::new(a(n)).timestamp_with_time_zone().to_owned(),
    };
    match c {
        C::IntNull(_) | C::StrNull(_) | C::TextNull(_) | C::TimeNull(_) => d.null(),
        _ => d.not_null(),
    };
    d
}

/// A workspace-owned table: `id`, `workspace_id` (cascading FK) and `cols`.
pub fn table(name: &str, cols: &[C<'_>]) -> TableCreateStatement {
    let mut t = Table::create();
    t.table(a(name))
        .col(
            ColumnDef::new(a("id"))
                .integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new(a("workspace_id")).integer().not_null())
        .foreign_key(
            ForeignKey::create()
                .name(format!("fk_{name}_workspace"))
                .from(a(name), a("workspace_id"))
                .to(a("workspaces"), a("id"))
                .on_delete(ForeignKeyAction::Cascade),
        );
    for c in cols {
        t.col(col(c));
    }
    t.to_owned()
}

/// A foreign key from `table.column` to `to.id` (cascade or set null).
pub fn fk(t: &mut TableCreateStatement, table: &str, column: &str, to: &str, cascade: bool) {
    t.foreign_key(
        ForeignKey::create()
            .name(format!("fk_{table}_{column}"))
            .from(a(table), a(column))
            .to(a(to), a("id"))
            .on_delete(if cascade {
                ForeignKeyAction::Cascade
            } else {
                ForeignKeyAction::SetNull
            }),
    );
}

/// An index (unique or not) over `cols`.
pub fn index(table: &str, name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(a(table));
    for c in cols {
        i.col(a(c));
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}
