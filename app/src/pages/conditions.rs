//! The nested AND/OR condition builder, shared by the rule editor (conditions
//! on tickets) and the segment editor (conditions on customers): groups nest up
//! to [`MAX_GROUP_DEPTH`] deep, each test offers the operators that fit its
//! field's type, and choices and references are picked from a list.

use crate::types::{Cond, CondOp, FieldType, RuleField, MAX_GROUP_DEPTH};
use leptos::prelude::*;

/// The conditions being edited. Text edits change them without redrawing;
/// structural edits bump `shape`, which redraws the tree with fresh fields.
#[derive(Clone, Copy)]
pub struct Tree {
    /// The conditions.
    pub cond: RwSignal<Cond>,
    /// Bumped on every structural edit (redraw the tree then).
    pub shape: RwSignal<u64>,
}

impl Tree {
    fn at<'a>(c: &'a mut Cond, path: &[usize]) -> Option<&'a mut Cond> {
        let Some((i, rest)) = path.split_first() else {
            return Some(c);
        };
        match c {
            Cond::Group { items, .. } => Self::at(items.get_mut(*i)?, rest),
            Cond::Test { .. } => None,
        }
    }

    /// Changes the condition at `path`; `redraw` for structural changes.
    pub fn edit(self, path: &[usize], redraw: bool, f: impl FnOnce(&mut Cond)) {
        self.cond.update_untracked(|c| {
            if let Some(n) = Self::at(c, path) {
                f(n);
            }
        });
        if redraw {
            self.shape.update(|n| *n += 1);
        }
    }

    /// Removes the condition at `path`.
    pub fn remove(self, path: &[usize]) {
        if let Some((last, parent)) = path.split_last() {
            self.edit(parent, true, |g| {
                if let Cond::Group { items, .. } = g {
                    if *last < items.len() {
                        items.remove(*last);
                    }
                }
            });
        }
    }

    /// Replaces the whole tree (and redraws it).
    pub fn set_all(self, c: Cond) {
        self.cond.set(c);
        self.shape.update(|n| *n += 1);
    }
}

/// What the builder edits and offers.
#[derive(Clone, Copy)]
pub struct Ed {
    /// The tree being edited.
    pub tree: Tree,
    /// The fields a test can pick.
    pub fields: StoredValue<Vec<RuleField>>,
    /// Said under an empty top group.
    pub empty_hint: &'static str,
}

fn label_path(path: &[usize]) -> String {
    path.iter()
        .map(|i| (i + 1).to_string())
        .collect::<Vec<_>>()
        .join(".")
}

fn testid(prefix: &str, path: &[usize]) -> String {
    let mut s = prefix.to_owned();
    for i in path {
        s.push('-');
        s.push_str(&(i + 1).to_string());
    }
    s
}

/// A test of the first field, for "+ Condition".
fn blank_test(fields: &[RuleField]) -> Cond {
    let f = fields.first();
    Cond::Test {
        field: f.map(|f| f.name.clone()).unwrap_or_default(),
        op: f.map_or(CondOp::Is, |f| f.kind.ops()[0]),
        value: String::new(),
    }
}

/// The builder for the condition `c` at `path` (the top group: an empty path).
pub fn cond_view(ctx: Ed, path: Vec<usize>, c: Cond) -> AnyView {
    match c {
        Cond::Group { any, items } => group_view(ctx, path, any, items),
        Cond::Test { field, op, value } => test_view(ctx, path, &field, op, value),
    }
}

fn group_view(ctx: Ed, path: Vec<usize>, any: bool, items: Vec<Cond>) -> AnyView {
    let top = path.is_empty();
    let depth = path.len() + 1;
    let here = StoredValue::new(path.clone());
    let tid = testid("group", &path);
    view! {
        <div class=if top { "rule-group rule-group-top" } else { "rule-group" } data-testid=tid data-any=any.to_string()>
            <div class="row wrap">
                <select aria-label="Join" data-testid="group-join" on:change=move |ev| {
                    let v = event_target_value(&ev) == "any";
                    here.with_value(|p| ctx.tree.edit(p, false, |g| if let Cond::Group { any, .. } = g { *any = v; }));
                }>
                    <option value="all" selected=!any>"All of these hold (AND)"</option>
                    <option value="any" selected=any>"Any of these holds (OR)"</option>
                </select>
                <button type="button" class="btn btn-ghost btn-small" data-testid="add-condition" on:click=move |_| {
                    let t = ctx.fields.with_value(|f| blank_test(f));
                    here.with_value(|p| ctx.tree.edit(p, true, |g| if let Cond::Group { items, .. } = g { items.push(t); }));
                }>"+ Condition"</button>
                {(depth < MAX_GROUP_DEPTH).then(|| view! {
                    <button type="button" class="btn btn-ghost btn-small" data-testid="add-group" on:click=move |_| {
                        let t = ctx.fields.with_value(|f| blank_test(f));
                        here.with_value(|p| ctx.tree.edit(p, true, |g| if let Cond::Group { items, .. } = g {
                            items.push(Cond::Group { any: true, items: vec![t] });
                        }));
                    }>"+ Group"</button>
                })}
                {(!top).then(|| view! {
                    <span class="spacer"></span>
                    <button type="button" class="btn btn-ghost btn-small" aria-label="Remove group" data-testid="remove-group"
                        on:click=move |_| here.with_value(|p| ctx.tree.remove(p))>"✕"</button>
                })}
            </div>
            {if items.is_empty() && top {
                Some(view! { <p class="small muted">{ctx.empty_hint}</p> })
            } else {
                None
            }}
            <ul class="rule-items">
                {items.into_iter().enumerate().map(|(i, it)| {
                    let mut p = path.clone();
                    p.push(i);
                    view! { <li>{cond_view(ctx, p, it)}</li> }
                }).collect_view()}
            </ul>
        </div>
    }
    .into_any()
}

fn test_view(ctx: Ed, path: Vec<usize>, field: &str, op: CondOp, value: String) -> AnyView {
    let here = StoredValue::new(path.clone());
    let f = ctx
        .fields
        .with_value(|c| c.iter().find(|f| f.name == field).cloned());
    let kind = f.as_ref().map_or(FieldType::Text, |f| f.kind);
    let choices = f.as_ref().map(|f| f.choices.clone()).unwrap_or_default();
    let fields = ctx.fields.get_value();
    let field = field.to_owned();
    let value_input = if !op.takes_value() {
        None
    } else if matches!(kind, FieldType::Choice | FieldType::Ref) {
        let v = value.clone();
        Some(view! {
            <select aria-label="Value" data-testid="cond-value" on:change=move |ev| {
                let x = event_target_value(&ev);
                here.with_value(|p| ctx.tree.edit(p, false, |c| if let Cond::Test { value, .. } = c { *value = x; }));
            }>
                <option value="" selected=v.is_empty()>"Choose…"</option>
                {choices.into_iter().map(|(val, label)| {
                    let sel = val == v;
                    view! { <option value=val selected=sel>{label}</option> }
                }).collect_view()}
            </select>
        }.into_any())
    } else {
        Some(view! {
            <input type="text" aria-label="Value" data-testid="cond-value" value=value
                placeholder=if kind == FieldType::Number { "a number" } else { "value" }
                on:input=move |ev| {
                    let x = event_target_value(&ev);
                    here.with_value(|p| ctx.tree.edit(p, false, |c| if let Cond::Test { value, .. } = c { *value = x; }));
                }/>
        }.into_any())
    };
    view! {
        <div class="rule-test row wrap" data-testid=testid("cond", &path)>
            <span class="badge badge-muted">{label_path(&path)}</span>
            <select aria-label="Field" data-testid="cond-field" on:change=move |ev| {
                let name = event_target_value(&ev);
                let first = ctx.fields.with_value(|c| c.iter().find(|f| f.name == name).map(|f| f.kind.ops()[0]));
                here.with_value(|p| ctx.tree.edit(p, true, |c| if let Cond::Test { field, op, value } = c {
                    *field = name.clone();
                    if let Some(o) = first { *op = o; }
                    value.clear();
                }));
            }>
                {fields.into_iter().map(|f| {
                    let sel = f.name == field;
                    view! { <option value=f.name.clone() selected=sel>{f.label}</option> }
                }).collect_view()}
            </select>
            <select aria-label="Comparison" data-testid="cond-op" on:change=move |ev| {
                let o = CondOp::parse(&event_target_value(&ev)).unwrap_or(CondOp::Is);
                here.with_value(|p| ctx.tree.edit(p, true, |c| if let Cond::Test { op, .. } = c { *op = o; }));
            }>
                {kind.ops().iter().map(|o| view! {
                    <option value=o.as_str() selected=*o == op>{o.label()}</option>
                }).collect_view()}
            </select>
            {value_input}
            <span class="spacer"></span>
            <button type="button" class="btn btn-ghost btn-small" aria-label="Remove condition" data-testid="remove-condition"
                on:click=move |_| here.with_value(|p| ctx.tree.remove(p))>"✕"</button>
        </div>
    }
    .into_any()
}
